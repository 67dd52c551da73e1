"""make start tells the DAGs they run against the emulator, and gives them the demo tenant's settings, when
airflow_settings.yaml connects them to it."""

from __future__ import annotations

import pytest

from local_runner import airflow, demo_tenant
from local_runner.config import PROJECT_ROOT, LocalConfig
from tests.environment import NO_EMULATOR_HERE, emulator_available

REAL_DBT_CLOUD_SETTINGS = """airflow:
  connections:
    - conn_id: dbt_cloud_default
      conn_type: dbt_cloud
      conn_host: cloud.getdbt.com
      conn_login: "98765"
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root whose airflow_settings.yaml and .env the test writes; the shell sets no mode."""
    monkeypatch.delenv("DBT_CLOUD_USE_EMULATOR", raising=False)
    monkeypatch.delenv("DBT_CLOUD_CONN_ID", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", raising=False)
    monkeypatch.setenv("ASTRO_DOTENV_PATH", str(tmp_path / ".env"))
    (tmp_path / ".env").write_text("")
    (tmp_path / "airflow_settings.yaml").write_text((PROJECT_ROOT / "airflow_settings.yaml").read_text())
    return LocalConfig(root=tmp_path, state_dir=tmp_path / "state")


def test_the_shipped_settings_connect_to_the_emulator(project):
    assert airflow.environment(project)["DBT_CLOUD_USE_EMULATOR"] == "true"


def test_settings_that_point_at_real_dbt_cloud_do_not(project):
    (project.root / "airflow_settings.yaml").write_text(REAL_DBT_CLOUD_SETTINGS)
    assert airflow.environment(project)["DBT_CLOUD_USE_EMULATOR"] == "false"


def test_another_connection_id_is_not_the_emulator_one(project):
    (project.root / ".env").write_text("DBT_CLOUD_CONN_ID=dbt_cloud_prod\n")
    assert airflow.environment(project)["DBT_CLOUD_USE_EMULATOR"] == "false"


def test_dotenv_has_the_last_word(project):
    (project.root / ".env").write_text("DBT_CLOUD_USE_EMULATOR=false\n")
    assert airflow.environment(project)["DBT_CLOUD_USE_EMULATOR"] == "false"


@pytest.mark.skipif(not emulator_available(), reason=NO_EMULATOR_HERE)  # the demo tenant is emulator/jobs.yaml
def test_the_emulator_connection_brings_the_demo_tenant_settings_and_dotenv_wins(project):
    (project.root / ".env").write_text("DBT_CLOUD_PROJECT_ID=4242\n")
    env = airflow.environment(project)
    assert {name: env[name] for name in demo_tenant.dag_settings()} == {
        **demo_tenant.dag_settings(), "DBT_CLOUD_PROJECT_ID": "4242"}
    assert env["DBT_CLOUD_ACCOUNT_ID"] == str(demo_tenant.ACCOUNT_ID)


@pytest.mark.parametrize("dotenv", ["DBT_CLOUD_USE_EMULATOR=false\n", "DBT_CLOUD_CONN_ID=dbt_cloud_prod\n",
                                    """AIRFLOW_CONN_DBT_CLOUD_DEFAULT='{"conn_type": "dbt_cloud", "host": "cloud.getdbt.com"}'\n"""])
def test_anything_but_the_emulator_connection_brings_no_demo_setting(project, monkeypatch, dotenv):
    for name in demo_tenant.dag_settings():
        monkeypatch.delenv(name, raising=False)
    (project.root / ".env").write_text(dotenv)
    env = airflow.environment(project)
    assert not set(demo_tenant.dag_settings()) & set(env)
