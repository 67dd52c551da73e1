"""Emulator-only endpoints (/_emulator/...) and the run page behind each run's href. No auth."""
