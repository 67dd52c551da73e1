"""Fixtures for running the example DAGs against the emulator.

The DAGs go through the real provider over HTTPS (the session's `emulator` fixture points
AIRFLOW_CONN_DBT_CLOUD_DEFAULT and the trust bundle at it); the tests then check the emulator's
API, as a person would check dbt Cloud (the `dbt_cloud` fixture, shared with tests/reliability).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def callback_log():
    """What the failure callback logged, caught on its own logger: dag.test() sets up Airflow's
    logging when it first runs, which can replace the root handlers that `caplog` relies on."""
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger("include.dbt_cloud_callbacks")
    logger.addHandler(handler)
    try:
        yield lambda: "\n".join(record.getMessage() for record in records)
    finally:
        logger.removeHandler(handler)
