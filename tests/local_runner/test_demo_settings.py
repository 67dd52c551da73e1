"""The launchers give the DAGs the demo tenant's settings (those .env leaves unset) only while
airflow_settings.yaml connects them to the emulator: make start (local_runner) and astro dev start
(local_runner/airflow_local_settings.py, mounted by the compose override) share demo_tenant.dag_settings_for."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from local_runner import airflow, demo_tenant
from local_runner.config import PROJECT_ROOT, LocalConfig

REAL_DBT_CLOUD_SETTINGS = """airflow:
  connections:
    - conn_id: dbt_cloud_default
      conn_type: dbt_cloud
      conn_host: cloud.getdbt.com
      conn_login: "98765"
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root whose airflow_settings.yaml and .env the test writes; the shell sets no DBT_CLOUD_*."""
    for name in [*demo_tenant.dag_settings(), "DBT_CLOUD_CONN_ID", "AIRFLOW_CONN_DBT_CLOUD_DEFAULT"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASTRO_DOTENV_PATH", str(tmp_path / ".env"))
    (tmp_path / ".env").write_text("")
    (tmp_path / "airflow_settings.yaml").write_text((PROJECT_ROOT / "airflow_settings.yaml").read_text())
    (tmp_path / "dbt_cloud_jobs.yml").write_text((PROJECT_ROOT / "dbt_cloud_jobs.yml").read_text())
    return LocalConfig(root=tmp_path, state_dir=tmp_path / "state")


def test_the_emulator_connection_brings_the_demo_tenant_settings_and_dotenv_wins(project):
    (project.root / ".env").write_text("DBT_CLOUD_PROJECT_ID=4242\n")
    env = airflow.environment(project)
    assert {name: env[name] for name in demo_tenant.dag_settings()} == {
        **demo_tenant.dag_settings(), "DBT_CLOUD_PROJECT_ID": "4242"}
    assert env["DBT_CLOUD_ACCOUNT_ID"] == str(demo_tenant.ACCOUNT_ID)


@pytest.mark.parametrize("dotenv", ["DBT_CLOUD_CONN_ID=dbt_cloud_prod\n",
                                    """AIRFLOW_CONN_DBT_CLOUD_DEFAULT='{"conn_type": "dbt_cloud", "host": "cloud.getdbt.com"}'\n"""])
def test_anything_but_the_emulator_connection_brings_no_demo_setting(project, dotenv):
    (project.root / ".env").write_text(dotenv)
    assert not set(demo_tenant.dag_settings()) & set(airflow.environment(project))


def test_settings_that_point_at_real_dbt_cloud_bring_no_demo_setting(project):
    (project.root / "airflow_settings.yaml").write_text(REAL_DBT_CLOUD_SETTINGS)
    assert not set(demo_tenant.dag_settings()) & set(airflow.environment(project))


@pytest.mark.parametrize(("dotenv", "expected"), [({}, demo_tenant.dag_settings()),
                                                  ({"DBT_CLOUD_JOB_NAME": "Mine"}, {**demo_tenant.dag_settings(), "DBT_CLOUD_JOB_NAME": "Mine"}),
                                                  ({"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": "{}"}, {})])
def test_astro_dev_start_local_settings_fill_what_dotenv_leaves_unset(dotenv, expected):
    """The module the compose override mounts as airflow_local_settings.py, imported as Airflow imports it."""
    env = {k: v for k, v in os.environ.items() if k not in demo_tenant.dag_settings() and not k.startswith("AIRFLOW_CONN_")}
    code = ("import os, airflow_local_settings, json; "
            "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('DBT_CLOUD_')}))")
    done = subprocess.run([sys.executable, "-c", code], env={**env, **dotenv, "PYTHONPATH": f"{PROJECT_ROOT}:{PROJECT_ROOT / 'local_runner'}"},
                          cwd="/", capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert {k: v for k, v in seen.items() if k in demo_tenant.dag_settings()} == {
        k: v for k, v in {**expected, **dotenv}.items() if k in demo_tenant.dag_settings()}
