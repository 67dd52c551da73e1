"""Secrets: after every example DAG ran, the API token is in no log, rendered template, XCom, emulator file or build-context file.

The emulator's demo token is public by design, so this runs against a second emulator that also
accepts a random secret token (DBT_CLOUD_EMULATOR_EXTRA_TOKENS), and the DAGs use that one.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import secrets
from pathlib import Path

import pytest

from local_runner import demo_tenant as tenant
from tests.e2e.dag_runner import load_dag, run_dag
from tests.e2e.dbt_cloud_api import DbtCloudApi
from tests.emulator_connection import connection_json
from tests.environment import ROOT
from tests.reliability.emulator_control import start_spare_emulator

pytestmark = pytest.mark.e2e
EVERY_DAG_THAT_CALLS_DBT_CLOUD = [
    "dbt_cloud_run_job", "dbt_cloud_chained_jobs", "dbt_cloud_deferrable", "dbt_cloud_elt", "dbt_cloud_job_by_name",
    "dbt_cloud_model_results", "dbt_cloud_hourly_models", "dbt_cloud_daily_models", "dbt_cloud_retry_from_failure",
]


def files_containing(root: Path, needle: bytes, skip=lambda path: False) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not skip(Path(folder, d))]
        for name in names:
            path = Path(folder, name)
            if skip(path) or not path.is_file():
                continue
            if needle in path.read_bytes():
                found.append(path)
    return found


def dockerignored(root: Path):
    """A predicate: is this path left out of the Astro image's build context by .dockerignore?"""
    patterns = [line.strip() for line in (root / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]

    def ignored(path: Path) -> bool:
        relative = path.relative_to(root).as_posix()
        verdict = False
        for pattern in patterns:
            negate, pattern = pattern.startswith("!"), pattern.lstrip("!")
            bare = pattern.removeprefix("**/")
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(path.name, bare) or relative.startswith(pattern + "/"):
                verdict = not negate
        return verdict

    return ignored


@pytest.fixture
def secret_emulator(emulator, tmp_path, monkeypatch):
    token = f"dbtc_secret_{secrets.token_hex(16)}"
    spare = start_spare_emulator(emulator, tmp_path / "secret", token=token,
                                 EXTRA_TOKENS=f"{tenant.ACCOUNT_ID}:{token}", SYNTHETIC_SECONDS="5")
    monkeypatch.setenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", connection_json(spare))
    monkeypatch.setenv("LOCAL_WAREHOUSE_DIR", str(spare.warehouse_dir))
    try:
        yield spare
    finally:
        spare.stop()


def test_the_token_is_nowhere_after_every_dag_ran(secret_emulator, airflow_db, caplog, capfd):
    token = secret_emulator.token.encode()
    api = DbtCloudApi(secret_emulator)
    api.reset_job(tenant.LATE_DATA_JOB_ID)
    with caplog.at_level(logging.DEBUG):
        states = {dag_id: run_dag(load_dag(dag_id)).state for dag_id in EVERY_DAG_THAT_CALLS_DBT_CLOUD}
    printed = capfd.readouterr()

    assert set(states.values()) == {"success"}, states  # the token worked: every DAG talked to dbt Cloud with it
    assert api.runs(tenant.BUILD_ALL_JOB_ID), "no run was made with the secret token"
    # The grep works: it finds the token where it is on purpose.
    canary = Path(airflow_db, "canary.txt")
    canary.write_bytes(token)
    assert files_containing(airflow_db, token) == [canary]
    canary.unlink()

    # Task logs: dag.test() logs through logging and to the terminal; what was caught must hold the
    # tasks' own lines, or the grep below would pass on nothing.
    shown = caplog.text + printed.out + printed.err
    assert "run_dbt_cloud_job" in shown and "dbt Cloud" in shown, shown[-2000:]
    assert token.decode() not in shown
    # Airflow's home: the metadata DB (rendered templates, XComs, task instances) and any log file.
    assert files_containing(airflow_db, token) == []
    # The emulator's state (runs, dbt logs, artifacts, SQLite) and its own log.
    assert files_containing(secret_emulator.cfg.state_dir, token) == []
    # The files `astro dev start` would send to the Docker build.
    assert files_containing(ROOT, token, skip=dockerignored(ROOT)) == []
