"""dbt-jobs-as-code (dbt Labs' jobs-as-code tool) against the emulator: validate, import-jobs, plan,
sync, and a second plan that shows no change; each checked in the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.clients.conftest import Client, client_env
from tests.e2e.dbt_cloud_api import ACCOUNT_ID
from tests.environment import ROOT

JOBS_FILE = """
jobs:
  nightly_marts:
    account_id: 12345
    project_id: 70001
    environment_id: 80001
    name: Nightly marts
    settings: {threads: 2, target_name: prod}
    execute_steps: ["dbt seed", "dbt run --select marts"]
    generate_docs: false
    run_generate_sources: false
    schedule: {cron: "0 5 * * *"}
    triggers: {github_webhook: false, git_provider_webhook: false, schedule: false, on_merge: false}
    custom_environment_variables:
      - DBT_NIGHTLY_LABEL: from-jobs-as-code
"""


@pytest.fixture(scope="module")
def jobs_as_code(own_emulator, tmp_path_factory) -> Client:
    env = client_env(own_emulator, DBT_API_KEY=own_emulator.token, DBT_BASE_URL=own_emulator.url)
    return Client("dbt-jobs-as-code", "dbt-jobs-as-code", env, tmp_path_factory.mktemp("dbt-jobs-as-code"))


def plan(jobs_as_code: Client, config: str) -> dict:
    return json.loads(jobs_as_code("plan", config, "--json").stdout.strip().splitlines()[-1])


def managed_jobs(api) -> dict[str, dict]:
    jobs = api._call("GET", f"/api/v2/accounts/{ACCOUNT_ID}/jobs/").json()["data"]
    return {job["name"]: job for job in jobs if "[[" in job["name"]}


def test_validate_import_plan_sync_and_plan_again(jobs_as_code, api, tmp_path):
    config = tmp_path / "jobs.yml"
    config.write_text(JOBS_FILE)
    jobs_as_code("validate", str(config), "--online")

    imported = jobs_as_code("import-jobs", "--account-id", str(ACCOUNT_ID), "--job-id", "444").stdout
    [job] = yaml.safe_load(imported[imported.index("jobs:"):])["jobs"].values()
    assert (job["name"], job["execute_steps"]) == ("Publish marts", ["dbt run --select marts", "dbt test --select marts"])

    first = plan(jobs_as_code, str(config))
    assert [(change["identifier"], change["action"]) for change in first["job_changes"]] == [("nightly_marts", "CREATE")]
    assert managed_jobs(api) == {}  # a plan changes nothing

    jobs_as_code("sync", str(config))
    created = managed_jobs(api)["Nightly marts [[nightly_marts]]"]
    assert created["execute_steps"] == ["dbt seed", "dbt run --select marts"]
    assert created["schedule"]["cron"] == "0 5 * * *" and created["settings"] == {"threads": 2, "target_name": "prod"}
    variables = api._call("GET", f"/api/v3/accounts/{ACCOUNT_ID}/projects/70001/environment-variables/job/",
                          params={"job_definition_id": created["id"]}).json()["data"]
    assert variables["DBT_NIGHTLY_LABEL"]["job"]["value"] == "from-jobs-as-code"

    assert plan(jobs_as_code, str(config)) == {"job_changes": [], "env_var_overwrite_changes": []}

    # An edit to the file is one update; a job dropped from the file is deleted.
    config.write_text(JOBS_FILE.replace('"dbt run --select marts"', '"dbt build --select marts"'))
    jobs_as_code("sync", str(config))
    assert managed_jobs(api)["Nightly marts [[nightly_marts]]"]["execute_steps"] == ["dbt seed", "dbt build --select marts"]
    config.write_text(JOBS_FILE.replace("nightly_marts:", "renamed_marts:"))
    jobs_as_code("sync", str(config))
    assert list(managed_jobs(api)) == ["Nightly marts [[renamed_marts]]"]


def test_make_jobs_sync_then_jobs_plan_shows_no_change(own_emulator, tmp_path):
    """`make jobs-sync` / `make jobs-plan` against the emulator (.env without a connection): the
    template's dbt_cloud_jobs.yml converges, and sync prints the jobs' ids for .env."""
    env = {**os.environ, "LOCAL_STATE_DIR": str(own_emulator.cfg.state_dir),
           "DBT_CLOUD_EMULATOR_PORT": str(own_emulator.port),
           "DBT_CLOUD_EMULATOR_WEB_PORT": str(own_emulator.cfg.emulator_web_port), "ASTRO_DOTENV_PATH": str(tmp_path / "absent.env")}
    env.pop("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", None)

    def make(command: str) -> str:
        done = subprocess.run([sys.executable, "-m", "local_runner.jobs_as_code", command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    synced = make("sync")
    ids = dict(line.split("=") for line in synced.splitlines() if line.startswith("DBT_CLOUD_") and "=" in line)
    assert set(ids) == {"DBT_CLOUD_JOB_ID", "DBT_CLOUD_TAGGED_JOB_ID", "DBT_CLOUD_RETRY_JOB_ID",
                        "DBT_CLOUD_DOWNSTREAM_JOB_ID"}
    assert "-- PLAN -- No changes detected." in make("plan")
