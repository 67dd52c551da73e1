"""The real DbtCloudHook (requests, sync path) against the emulator over HTTPS."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowException
from airflow.providers.dbt.cloud.hooks.dbt import (
    DbtCloudHook,
    DbtCloudJobRunException,
    DbtCloudJobRunStatus,
    DbtCloudResourceLookupError,
)

from local_runner import demo_tenant as tenant
from tests.emulator.provider_helpers import (
    CHECK_INTERVAL,
    RUN_TIMEOUT,
    flatten,
    hook,
    reset_job,
    results_by_node,
    run_with_steps,
)
from tests.emulator_connection import connection_json
from tests.polling import ERROR, IN_PROGRESS, RUNNING, SUCCESS, wait_for_run_status

pytestmark = pytest.mark.e2e

SETUP_STEPS = ["Clone Git Repository", "Create Profile from Connection DuckDB", "Invoke dbt with `dbt deps`"]


def test_test_connection_hits_the_root(emulator):
    assert hook().test_connection() == (True, "Successfully connected to dbt Cloud.")
    assert [account["id"] for account in hook().list_accounts().json()["data"]] == [emulator.account_id]
    assert hook().get_account().json()["data"]["name"] == "Local emulator account"


def test_errors_401_403_404(emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DBT_CLOUD_BAD_TOKEN", connection_json(emulator, token="not-a-token"))
    ok, message = DbtCloudHook("dbt_cloud_bad_token").test_connection()
    assert not ok and message.startswith("401:")
    with pytest.raises(AirflowException, match="^401:"):
        DbtCloudHook("dbt_cloud_bad_token").get_job(tenant.BUILD_ALL_JOB_ID)
    with pytest.raises(AirflowException, match="^403:"):
        hook().get_job(tenant.BUILD_ALL_JOB_ID, account_id=tenant.OTHER_ACCOUNT_ID)
    with pytest.raises(AirflowException, match="^404:"):
        hook().get_job(4242)
    with pytest.raises(AirflowException, match="^404:"):
        hook().get_job_run(987654321)


def test_projects_environments_and_jobs(emulator):
    dbt = hook()
    assert [(p["id"], p["name"]) for p in flatten(dbt.list_projects())] == [(tenant.PROJECT_ID, "Jaffle Shop Analytics")]
    assert dbt.get_project(tenant.PROJECT_ID).json()["data"]["connection"]["type"] == "adapter"
    names = {e["name"]: e["id"] for e in flatten(dbt.list_environments(tenant.PROJECT_ID))}
    assert names == {"Production": tenant.PRODUCTION_ENVIRONMENT_ID, "Staging": tenant.STAGING_ENVIRONMENT_ID}
    assert dbt.get_environment(tenant.PROJECT_ID, tenant.STAGING_ENVIRONMENT_ID).json()["data"]["name"] == "Staging"
    jobs = {job["id"]: job["name"] for job in flatten(dbt.list_jobs(project_id=tenant.PROJECT_ID, order_by="id"))}
    assert list(jobs) == [tenant.BUILD_ALL_JOB_ID, tenant.TAGGED_JOB_ID, tenant.LATE_DATA_JOB_ID,
                          tenant.PUBLISH_MARTS_JOB_ID, tenant.STAGING_BUILD_ALL_JOB_ID, tenant.SYNTHETIC_JOB_ID]
    assert [j["id"] for j in flatten(dbt.list_jobs(environment_id=tenant.STAGING_ENVIRONMENT_ID))] == [tenant.STAGING_BUILD_ALL_JOB_ID]
    assert dbt.get_job(tenant.PUBLISH_MARTS_JOB_ID).json()["data"]["execute_steps"] == ["dbt run --select marts", "dbt test --select marts"]


def test_get_job_by_name_and_its_lookup_errors(emulator):
    dbt = hook()
    build_all = "Build all models [[build_all]]"  # as dbt-jobs-as-code names the job it syncs
    job = dbt.get_job_by_name(project_name="Jaffle Shop Analytics", environment_name="Production",
                              job_name=build_all)
    assert job["id"] == tenant.BUILD_ALL_JOB_ID  # 555 has the same name in Staging
    staging = dbt.get_job_by_name(project_name="Jaffle Shop Analytics", environment_name="Staging",
                                  job_name=build_all)
    assert staging["id"] == tenant.STAGING_BUILD_ALL_JOB_ID
    with pytest.raises(DbtCloudResourceLookupError, match="Found 0 projects"):
        dbt.get_job_by_name(project_name="Jaffle", environment_name="Production", job_name=build_all)
    with pytest.raises(DbtCloudResourceLookupError, match="Found 0 environments"):
        dbt.get_job_by_name(project_name="Jaffle Shop Analytics", environment_name="Prod", job_name=build_all)
    with pytest.raises(DbtCloudResourceLookupError, match="Found 0 jobs"):
        dbt.get_job_by_name(project_name="Jaffle Shop Analytics", environment_name="Production", job_name="Build all")


def test_list_runs_paginates_past_100_and_reuse_query(emulator):
    """Over 100 runs of the synthetic job (it only sleeps): the provider pages through all of them."""
    dbt = hook()
    before = {run["id"] for run in flatten(dbt.list_job_runs(job_definition_id=tenant.SYNTHETIC_JOB_ID))}
    created = [dbt.trigger_job_run(job_id=tenant.SYNTHETIC_JOB_ID, cause=f"pagination {i}").json()["data"]["id"] for i in range(105)]
    try:
        responses = dbt.list_job_runs(job_definition_id=tenant.SYNTHETIC_JOB_ID, order_by="id", include_related=["trigger"])
        assert len(responses) >= 2  # 100 per page
        listed = [run["id"] for run in flatten(responses)]
        assert set(created) <= set(listed) and len(listed) == len(set(listed)) == len(before) + 105
        assert flatten(responses)[-1]["trigger"]["cause"] == "pagination 104"
        # What reuse_existing_run=True sends: status__in as str([1, 2, 3]), newest first.
        in_flight = dbt.get_job_runs(payload={"job_definition_id": tenant.SYNTHETIC_JOB_ID, "status__in": str(list(IN_PROGRESS)),
                                              "order_by": "-created_at"}).json()
        assert in_flight["data"][0]["id"] == created[-1]
        assert in_flight["extra"]["pagination"]["count"] == 100
    finally:
        for run_id in created:
            dbt.cancel_job_run(run_id)
    assert {dbt.get_job_run_status(run_id) for run_id in created} == {DbtCloudJobRunStatus.CANCELLED.value}


def test_trigger_wait_steps_and_artifacts_of_job_111(emulator):
    dbt = hook()
    response = dbt.trigger_job_run(job_id=tenant.BUILD_ALL_JOB_ID, cause="provider test", steps_override=None, schema_override=None)
    run = response.json()["data"]
    assert run["href"] == f"{emulator.web_url}/deploy/{tenant.ACCOUNT_ID}/projects/{tenant.PROJECT_ID}/runs/{run['id']}/"
    assert dbt.wait_for_job_run_status(run["id"], check_interval=CHECK_INTERVAL, timeout=RUN_TIMEOUT)

    finished = run_with_steps(dbt, run["id"])
    assert finished["status_humanized"] == "Success" and finished["is_success"] and not finished["in_progress"]
    assert [step["name"] for step in finished["run_steps"]] == [
        *SETUP_STEPS, "Invoke dbt with `dbt build`", "Invoke dbt with `dbt docs generate`"]
    assert all(step["status"] == SUCCESS for step in finished["run_steps"])

    assert {"manifest.json", "run_results.json"} <= set(dbt.list_job_run_artifacts(run["id"], step=4).json()["data"])
    built = results_by_node(dbt, run["id"], step=4)
    assert built["model.jaffle_shop.customers"] == "success" and built["model.jaffle_shop.stg_fx_rates"] == "success"
    assert set(built.values()) <= {"success", "pass"}
    catalog = dbt.get_job_run_artifact(run["id"], path="catalog.json").json()  # default: the last step
    assert "model.jaffle_shop.customers" in catalog["nodes"]
    compiled = [p for p in dbt.list_job_run_artifacts(run["id"], step=4).json()["data"] if p.endswith("customers.sql")]
    assert "select" in dbt.get_job_run_artifact(run["id"], path=compiled[0], step=4).text.lower()
    with pytest.raises(AirflowException, match="^404:"):
        dbt.get_job_run_artifact(run["id"], path="sources.json")


def test_cancel_a_running_dbt_run(emulator):
    dbt = hook()
    run_id = dbt.trigger_job_run(job_id=tenant.TAGGED_JOB_ID, cause="to be cancelled").json()["data"]["id"]
    wait_for_run_status(lambda: run_with_steps(dbt, run_id), {RUNNING}, RUN_TIMEOUT, every=0.5)
    dbt.cancel_job_run(run_id)
    assert dbt.wait_for_job_run_status(run_id, expected_statuses=DbtCloudJobRunStatus.CANCELLED.value,
                                       check_interval=CHECK_INTERVAL, timeout=60)
    cancelled = run_with_steps(dbt, run_id)
    assert cancelled["is_cancelled"] and cancelled["run_steps"][-1]["status"] == DbtCloudJobRunStatus.CANCELLED.value
    assert cancelled["finished_at"] is not None


def test_rerun_after_failure_rebuilds_only_failed_and_skipped_nodes(emulator):
    dbt = hook()
    reset_job(emulator, tenant.LATE_DATA_JOB_ID)
    failed_id = dbt.trigger_job_run(job_id=tenant.LATE_DATA_JOB_ID, cause="late data not landed").json()["data"]["id"]
    with pytest.raises(DbtCloudJobRunException, match="ERROR"):
        dbt.wait_for_job_run_status(failed_id, check_interval=CHECK_INTERVAL, timeout=RUN_TIMEOUT)
    failed = run_with_steps(dbt, failed_id)
    assert failed["is_error"] and failed["can_retry"] and "stg_fx_rates" in failed["status_message"]
    assert [s["status"] for s in failed["run_steps"]] == [SUCCESS, SUCCESS, SUCCESS, ERROR]  # the docs step never ran
    first = results_by_node(dbt, failed_id, step=4)
    redo = {node for node, status in first.items() if status in ("error", "skipped")}
    assert first["model.jaffle_shop.stg_fx_rates"] == "error" and "skipped" in first.values()

    # What the operator does with retry_from_failure=True on a retried task: rerun/ when the latest failed.
    rerun = dbt.trigger_job_run(job_id=tenant.LATE_DATA_JOB_ID, cause="ignored on rerun", retry_from_failure=True).json()["data"]
    assert rerun["id"] != failed_id and rerun["trigger"]["cause_category"] == "rerun"
    assert dbt.wait_for_job_run_status(rerun["id"], check_interval=CHECK_INTERVAL, timeout=RUN_TIMEOUT)
    retried = run_with_steps(dbt, rerun["id"])
    assert retried["retrying_run_id"] == failed_id
    assert [s["name"] for s in retried["run_steps"]] == [*SETUP_STEPS, "Invoke dbt with `dbt retry`"]
    second = results_by_node(dbt, rerun["id"], step=4)
    assert set(second) == redo and set(second.values()) <= {"success", "pass"}

    # The latest run succeeded, so a further rerun is a fresh run of the whole job.
    fresh = dbt.retry_failed_job_run(tenant.LATE_DATA_JOB_ID).json()["data"]
    assert fresh["retrying_run_id"] is None
    dbt.cancel_job_run(fresh["id"])
