"""dbt-cloud-cli (dbt Labs' community CLI) against the emulator: jobs and runs, checked in the emulator."""

from __future__ import annotations

import json

import pytest

from local_runner import demo_tenant
from tests.clients.conftest import Client, client_env
from tests.e2e.dbt_cloud_api import ACCOUNT_ID

PROJECT, ENVIRONMENT, SYNTHETIC_JOB = demo_tenant.PROJECT_ID, demo_tenant.PRODUCTION_ENVIRONMENT_ID, demo_tenant.SYNTHETIC_JOB_ID
TEMPLATE_JOBS = {demo_tenant.BUILD_ALL_JOB_ID, demo_tenant.TAGGED_JOB_ID, demo_tenant.LATE_DATA_JOB_ID,
                 demo_tenant.PUBLISH_MARTS_JOB_ID}


@pytest.fixture(scope="module")
def cli(own_emulator, tmp_path_factory) -> Client:
    env = client_env(own_emulator, DBT_CLOUD_HOST=own_emulator.host, DBT_CLOUD_API_TOKEN=own_emulator.token,
                     DBT_CLOUD_ACCOUNT_ID=str(own_emulator.account_id))
    return Client("dbt-cloud-cli", "dbt-cloud", env, tmp_path_factory.mktemp("dbt-cloud-cli"))


def test_job_list_and_get(cli):
    listed = cli.json("job", "list")
    assert TEMPLATE_JOBS.issubset({job["id"] for job in listed["data"]})
    build_all = cli.json("job", "get", "--job-id", str(demo_tenant.BUILD_ALL_JOB_ID))["data"]
    assert build_all["name"] == "Build all models [[build_all]]"  # dbt_cloud_jobs.yml's, as dbt-jobs-as-code names it


def test_create_run_wait_export_import_delete(cli, api, tmp_path):
    created = cli.json("job", "create", "--project-id", str(PROJECT), "--environment-id", str(ENVIRONMENT),
                       "--name", "CLI: orders staging", "--execute-steps", '["dbt seed", "dbt run --select staging"]',
                       "--settings-threads", "2", "--settings-target-name", "prod")["data"]
    job = api._call("GET", f"/api/v2/accounts/{ACCOUNT_ID}/jobs/{created['id']}/").json()["data"]
    assert (job["execute_steps"], job["settings"]) == (["dbt seed", "dbt run --select staging"], {"threads": 2, "target_name": "prod"})

    # --wait polls until the run ends: the job runs real dbt, its steps as given.
    cli("job", "run", "--job-id", str(created["id"]), "--wait", "--cause", "dbt-cloud-cli test")
    [run] = api.runs(created["id"])
    run = api.wait_until_finished(run["id"])
    assert run["status"] == 10, run["status_message"]
    assert run["trigger"]["cause"] == "dbt-cloud-cli test"
    assert [step["name"] for step in run["run_steps"]][-2:] == ["Invoke dbt with `dbt seed`",
                                                                "Invoke dbt with `dbt run --select staging`"]
    assert "Completed successfully" in run["run_steps"][-1]["logs"]

    assert cli.json("run", "get", "--run-id", str(run["id"]))["data"]["status"] == 10
    listed = cli.json("run", "list", "--job-id", str(created["id"]))["data"]
    assert [listed_run["id"] for listed_run in listed] == [run["id"]]
    artifacts = cli.json("run", "list-artifacts", "--run-id", str(run["id"]))["data"]
    assert "manifest.json" in artifacts and "run_results.json" in artifacts
    results_file = tmp_path / "run_results.json"
    cli("run", "get-artifact", "--run-id", str(run["id"]), "--path", "run_results.json", "-f", str(results_file))
    built = {result["unique_id"] for result in json.loads(results_file.read_text())["results"]}
    assert "model.jaffle_shop.stg_orders" in built and "model.jaffle_shop.orders" not in built

    exported = tmp_path / "job.json"
    cli("job", "export", "--job-id", str(created["id"]), "-f", str(exported))
    imported = cli.json("job", "import", "-f", str(exported))["data"]
    assert imported["id"] != created["id"]
    assert (imported["name"], imported["execute_steps"]) == ("CLI: orders staging", ["dbt seed", "dbt run --select staging"])

    for job_id in (created["id"], imported["id"]):
        cli("job", "delete", "--job-id", str(job_id))
    remaining = {job["id"] for job in cli.json("job", "list")["data"]}
    assert created["id"] not in remaining and imported["id"] not in remaining
    gone = api.session.get(f"{api.base}/api/v2/accounts/{ACCOUNT_ID}/jobs/{created['id']}/", timeout=30)
    assert gone.status_code == 404


def test_run_cancel(cli, api):
    started = json.loads(cli("job", "run", "--job-id", str(SYNTHETIC_JOB)).stdout)["data"]
    cancelled = cli.json("run", "cancel", "--run-id", str(started["id"]))["data"]
    assert cancelled["status"] == 30
    assert api.run(started["id"])["status"] == 30

