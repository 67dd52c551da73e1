"""make jobs-plan / jobs-sync: which account .env's connection points dbt-jobs-as-code at."""

from __future__ import annotations

import json

import pytest

from local_runner.config import LocalConfig
from local_runner.jobs_as_code import connection

REAL = json.dumps({"conn_type": "dbt_cloud", "host": "ab123.us1.dbt.com", "login": "777", "password": "dbtc_x"})


def test_a_real_connection_and_its_ids_make_the_client_environment_and_variables():
    env, variables = connection({"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": REAL, "DBT_CLOUD_PROJECT_ID": "31",
                                 "DBT_CLOUD_ENVIRONMENT_ID": "42"}, LocalConfig())
    assert env == {"DBT_BASE_URL": "https://ab123.us1.dbt.com", "DBT_API_KEY": "dbtc_x"}
    assert variables == {"account_id": 777, "project_id": 31, "environment_id": 42}


def test_a_real_connection_without_the_ids_says_what_to_set():
    with pytest.raises(SystemExit, match="DBT_CLOUD_PROJECT_ID and DBT_CLOUD_ENVIRONMENT_ID"):
        connection({"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": REAL}, LocalConfig())
