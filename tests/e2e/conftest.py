"""Fixtures for running the example DAGs against the emulator.

The DAGs go through the real provider over HTTPS (the session's `emulator` fixture points
AIRFLOW_CONN_DBT_CLOUD_DEFAULT and the trust bundle at it); the tests then check the emulator's
API, as a person would check dbt Cloud.
"""

from __future__ import annotations

import pytest

from tests.e2e.dbt_cloud_api import DbtCloudApi


@pytest.fixture
def dbt_cloud(emulator, airflow_db, monkeypatch) -> DbtCloudApi:
    """The emulator's API; the DAGs' warehouse folder is the emulator's."""
    monkeypatch.setenv("LOCAL_WAREHOUSE_DIR", str(emulator.warehouse_dir))
    return DbtCloudApi(emulator)
