"""dbt_cloud_chained_jobs: job 444 runs only after job 111, and a run in progress is reused."""

from __future__ import annotations

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from local_runner import demo_tenant as tenant
from tests.polling import SUCCESS

pytestmark = pytest.mark.e2e


def test_publish_marts_starts_after_build_all_models_finished(dbt_cloud):
    outcome = run_dag(load_dag("dbt_cloud_chained_jobs"))

    assert outcome.state == "success"
    build = dbt_cloud.run(outcome.xcom("build_all_models"))
    publish = dbt_cloud.run(outcome.xcom("publish_marts"))
    assert (build["job_definition_id"], build["status"]) == (tenant.BUILD_ALL_JOB_ID, SUCCESS)
    assert (publish["job_definition_id"], publish["status"]) == (tenant.PUBLISH_MARTS_JOB_ID, SUCCESS)
    assert publish["created_at"] >= build["finished_at"]
    dbt_steps = [step["name"] for step in publish["run_steps"] if "Invoke dbt" in step["name"]]
    assert any("`dbt run --select marts`" in name for name in dbt_steps)
    assert any("`dbt test --select marts`" in name for name in dbt_steps)


def test_a_run_already_in_progress_is_reused_instead_of_triggering_a_duplicate(dbt_cloud):
    # Two runs by hand: the emulator runs one at a time, so the second is still queued when
    # the DAG asks for runs in progress, and it is the latest one, which the operator picks.
    dbt_cloud.trigger(tenant.BUILD_ALL_JOB_ID, "started by hand")
    in_progress = dbt_cloud.trigger(tenant.BUILD_ALL_JOB_ID, "started by hand again")
    runs_before = {run["id"] for run in dbt_cloud.runs(tenant.BUILD_ALL_JOB_ID)}

    outcome = run_dag(load_dag("dbt_cloud_chained_jobs"))

    assert outcome.state == "success"
    assert outcome.xcom("build_all_models") == in_progress["id"]
    assert {run["id"] for run in dbt_cloud.runs(tenant.BUILD_ALL_JOB_ID)} == runs_before
    assert dbt_cloud.run(in_progress["id"])["status"] == SUCCESS
