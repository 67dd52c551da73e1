"""Runs the template without Docker: the dbt Cloud emulator and Airflow from plain Python.

`make start` / `make stop` / `make status` / `make logs` call `python -m local_runner`.
The test fixtures reuse the same pieces, so what the tests start is what users start.
"""
