"""A deployment's DAGs: the dbt Cloud connection points at real dbt Cloud, from an environment
variable, the metadata DB or a secrets backend, and no DBT_CLOUD_* id is set. The package has no demo
ids (only the launchers give them, and only for the emulator's connection), so the DAGs fail to
import naming DBT_CLOUD_ACCOUNT_ID. No job id is
needed: the tasks find their jobs by identifier when they run (include/dbt_cloud/operators.py).

Each case parses dags/ in a fresh interpreter through parse_guard.py: still no network and no
metadata DB access at parse time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARSE_GUARD = Path(__file__).with_name("parse_guard.py")
TOKEN = "dbtc_not_a_real_token"
REAL_DBT_CLOUD = {"conn_type": "dbt_cloud", "host": "cloud.getdbt.com", "login": "98765", "password": TOKEN}
DAG_FILES = sorted(p.name for p in (ROOT / "dags").glob("*.py"))
# What a DAG file still needs once DBT_CLOUD_ACCOUNT_ID is set: the name-lookup DAG its names, the
# others nothing (their jobs are found by identifier when their tasks run).
STILL_NEEDED = {"dbt_cloud_job_by_name.py": "DBT_CLOUD_PROJECT_NAME"}


def airflow(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "airflow", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def deployment_env(home: Path) -> dict[str, str]:
    """The process environment of a deployment: no DBT_CLOUD_* variable, no connection variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_CLOUD_", "AIRFLOW_CONN_", "AIRFLOW__"))}
    return {**env, "AIRFLOW_HOME": str(home), "PYTHONPATH": str(ROOT), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "ASTRO_DOTENV_PATH": os.devnull}


def connection_from(source: str, home: Path) -> dict[str, str]:
    """Store the real-dbt-Cloud connection in `source`; the environment variables that go with it."""
    if source == "environment variable":
        return {"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": json.dumps(REAL_DBT_CLOUD)}
    if source == "metadata DB":
        env = deployment_env(home)
        airflow(env, "db", "migrate")
        airflow(env, "connections", "add", "dbt_cloud_default", "--conn-json", json.dumps(REAL_DBT_CLOUD))
        return {}
    connections = home / "connections.json"
    connections.write_text(json.dumps({"dbt_cloud_default": REAL_DBT_CLOUD}))
    return {"AIRFLOW__SECRETS__BACKEND": "airflow.secrets.local_filesystem.LocalFilesystemBackend",
            "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"connections_file_path": str(connections)})}


def parse_dags(env: dict[str, str], keep_database: bool) -> dict:
    argv = [sys.executable, str(PARSE_GUARD), str(ROOT / "dags"), *(["--keep-database"] if keep_database else [])]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["attempts"], f"parsing reached out: {report['attempts']}"
    return {Path(path).name: error for path, error in report["import_errors"].items()}


def visible_host(env: dict[str, str]) -> str:
    """The host Airflow resolves dbt_cloud_default to (env var, secrets backend, then metadata DB)."""
    code = ("from airflow.models.connection import Connection; "
            "print(Connection.get_connection_from_secrets('dbt_cloud_default').host)")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("source", ["environment variable", "metadata DB", "secrets backend"])
def test_a_real_connection_without_ids_names_the_variable_to_set(source, tmp_path):
    env = {**deployment_env(tmp_path), **connection_from(source, tmp_path)}
    assert visible_host(env) == "cloud.getdbt.com", f"the connection is not in the {source}"

    errors = parse_dags(env, keep_database=source == "metadata DB")

    assert sorted(errors) == DAG_FILES, "every example DAG needs the account id"
    for name, error in errors.items():
        assert "DBT_CLOUD_ACCOUNT_ID is not set: add DBT_CLOUD_ACCOUNT_ID=<account id> to .env" in error, name
        assert "12345" not in error and TOKEN not in error


def test_with_the_account_id_set_only_the_name_lookup_dag_needs_more(tmp_path):
    env = {**deployment_env(tmp_path), **connection_from("secrets backend", tmp_path), "DBT_CLOUD_ACCOUNT_ID": "98765"}

    errors = parse_dags(env, keep_database=False)

    named = {name: re.search(r"(DBT_CLOUD_\w+) is not set: add \1=", error).group(1) for name, error in errors.items()}
    assert named == STILL_NEEDED
