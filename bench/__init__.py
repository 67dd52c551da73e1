"""The project's benchmarks: `make bench` (python -m bench) measures, writes bench/results/ and the README table."""
