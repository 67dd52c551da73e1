"""dbt-jobs-as-code (dbt Labs' jobs-as-code tool) against the emulator: validate, import-jobs, plan,
sync, and a second plan that shows no change; each checked in the emulator. The emulator's jobs
111-444 are the template's dbt_cloud_jobs.yml, so a team's own job is planned beside them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from local_runner import demo_tenant
from local_runner.config import LocalConfig
from local_runner.emulator import EmulatorProcess
from tests.clients.conftest import Client, client_env
from tests.e2e.dbt_cloud_api import ACCOUNT_ID, DbtCloudApi
from tests.environment import ROOT

TEMPLATE_JOBS = {"build_all": demo_tenant.BUILD_ALL_JOB_ID, "build_tagged": demo_tenant.TAGGED_JOB_ID,
                 "build_with_retry": demo_tenant.LATE_DATA_JOB_ID, "publish_marts": demo_tenant.PUBLISH_MARTS_JOB_ID}

JOBS_FILE = """
jobs:
  nightly_marts:
    account_id: "{{ account_id }}"
    project_id: "{{ project_id }}"
    environment_id: "{{ environment_id }}"
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


def plan(jobs_as_code: Client, *args: str) -> dict:
    return json.loads(jobs_as_code("plan", *args, "--json").stdout.strip().splitlines()[-1])


def managed_jobs(api, environment_id: int = demo_tenant.PRODUCTION_ENVIRONMENT_ID) -> dict[str, dict]:
    jobs = api._call("GET", f"/api/v2/accounts/{ACCOUNT_ID}/jobs/", params={"environment_id": environment_id}).json()["data"]
    return {job["name"]: job for job in jobs if "[[" in job["name"]}


def test_validate_import_plan_sync_and_plan_again(jobs_as_code, api, tmp_path):
    """A team's own job in a file beside the template's, both synced to the demo environment."""
    files = tmp_path / "jobs"
    files.mkdir()
    (files / "dbt_cloud_jobs.yml").write_text((ROOT / "dbt_cloud_jobs.yml").read_text())
    config = files / "nightly.yml"
    config.write_text(JOBS_FILE)
    variables = tmp_path / "vars.yml"
    variables.write_text(f"account_id: {ACCOUNT_ID}\nproject_id: {demo_tenant.PROJECT_ID}\n"
                         f"environment_id: {demo_tenant.PRODUCTION_ENVIRONMENT_ID}\n")
    scope = (str(files), "--vars-yml", str(variables), "--limit-projects-envs-to-yml")
    jobs_as_code("validate", str(files), "--vars-yml", str(variables), "--online")

    imported = jobs_as_code("import-jobs", "--account-id", str(ACCOUNT_ID), "--job-id", str(demo_tenant.PUBLISH_MARTS_JOB_ID)).stdout
    [job] = yaml.safe_load(imported[imported.index("jobs:"):])["jobs"].values()
    assert (job["name"], job["execute_steps"]) == ("Publish marts", ["dbt run --select marts", "dbt test --select marts"])

    template_jobs = managed_jobs(api)
    assert {job["id"] for job in template_jobs.values()} == set(TEMPLATE_JOBS.values())
    first = plan(jobs_as_code, *scope)
    assert [(change["identifier"], change["action"]) for change in first["job_changes"]] == [("nightly_marts", "CREATE")]
    assert managed_jobs(api) == template_jobs  # a plan changes nothing

    jobs_as_code("sync", *scope)
    created = managed_jobs(api)["Nightly marts [[nightly_marts]]"]
    assert created["execute_steps"] == ["dbt seed", "dbt run --select marts"]
    assert created["schedule"]["cron"] == "0 5 * * *" and created["settings"] == {"threads": 2, "target_name": "prod"}
    job_variables = f"/api/v3/accounts/{ACCOUNT_ID}/projects/{demo_tenant.PROJECT_ID}/environment-variables/job/"
    variables = api._call("GET", job_variables, params={"job_definition_id": created["id"]}).json()["data"]
    assert variables["DBT_NIGHTLY_LABEL"]["job"]["value"] == "from-jobs-as-code"

    assert plan(jobs_as_code, *scope) == {"job_changes": [], "env_var_overwrite_changes": []}

    # An edit to the file is one update; a job dropped from the file is deleted.
    config.write_text(JOBS_FILE.replace('"dbt run --select marts"', '"dbt build --select marts"'))
    jobs_as_code("sync", *scope)
    assert managed_jobs(api)["Nightly marts [[nightly_marts]]"]["execute_steps"] == ["dbt seed", "dbt build --select marts"]
    config.write_text(JOBS_FILE.replace("nightly_marts:", "renamed_marts:"))
    jobs_as_code("sync", *scope)
    assert sorted(managed_jobs(api)) == sorted([*template_jobs, "Nightly marts [[renamed_marts]]"])
    # Other environments are out of the file's scope: the Staging job named like build_all stays.
    assert [job["id"] for job in managed_jobs(api, demo_tenant.STAGING_ENVIRONMENT_ID).values()] == [
        demo_tenant.STAGING_BUILD_ALL_JOB_ID]


@pytest.fixture
def fresh_emulator(own_emulator, tmp_path) -> EmulatorProcess:
    """An emulator with no state yet (the test above changed own_emulator's jobs); own_emulator: the skip if none."""
    process = EmulatorProcess(LocalConfig.isolated(tmp_path / "fresh"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_make_jobs_plan_on_a_fresh_emulator_shows_no_change_and_sync_keeps_the_demo_ids(fresh_emulator, tmp_path):
    """`make jobs-plan` / `make jobs-sync` against the emulator (.env without a connection): the
    emulator's tenant is the template's dbt_cloud_jobs.yml, so nothing is created, copied or changed."""
    env = {**os.environ, "LOCAL_STATE_DIR": str(fresh_emulator.cfg.state_dir),
           "DBT_CLOUD_EMULATOR_PORT": str(fresh_emulator.port),
           "DBT_CLOUD_EMULATOR_WEB_PORT": str(fresh_emulator.cfg.emulator_web_port),
           "ASTRO_DOTENV_PATH": str(tmp_path / "absent.env")}
    env.pop("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", None)

    def make(command: str) -> str:
        done = subprocess.run([sys.executable, "-m", "local_runner.jobs_as_code", command], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    assert "-- PLAN -- No changes detected." in make("plan")
    synced = make("sync")
    listed = [line.split(":", 1)[0].split() for line in synced.splitlines() if line.startswith("    job ")]
    assert sorted(int(words[1]) for words in listed) == sorted(TEMPLATE_JOBS.values()), synced[-2000:]
    assert f"    job {demo_tenant.BUILD_ALL_JOB_ID}: Build all models [[build_all]]" in synced
    assert "-- PLAN -- No changes detected." in make("plan")
    api = DbtCloudApi(fresh_emulator)
    api.session.trust_env = False  # REQUESTS_CA_BUNDLE names the session emulator's bundle, not this one's
    jobs = api._call("GET", f"/api/v2/accounts/{ACCOUNT_ID}/jobs/").json()["data"]
    assert max(job["id"] for job in jobs) == demo_tenant.SYNTHETIC_JOB_ID  # no job created by the API
