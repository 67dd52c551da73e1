"""What tests rely on without side effects: where the emulator exists (the host, not the Astro image)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NO_EMULATOR_HERE = (
    "the dbt Cloud emulator is not in this environment (inside the Astro image, `astro dev pytest` "
    "has neither the emulator nor dbt, by design): run `make test` on the host to run this test"
)


def emulator_available() -> bool:
    return (ROOT / "emulator" / "pyproject.toml").exists()
