"""dbt_cloud_job_by_name: the names resolve to job 111 (not its namesake 555 in Staging)."""

from __future__ import annotations

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from local_runner import demo_tenant as tenant
from tests.polling import SUCCESS

pytestmark = pytest.mark.e2e


def test_the_job_is_found_by_project_environment_and_job_name(dbt_cloud):
    outcome = run_dag(load_dag("dbt_cloud_job_by_name"))

    assert outcome.state == "success"
    run = dbt_cloud.run(outcome.xcom("run_job_by_name"))
    assert (run["job_definition_id"], run["environment_id"], run["status"]) == (tenant.BUILD_ALL_JOB_ID, tenant.PRODUCTION_ENVIRONMENT_ID, SUCCESS)


def test_an_unknown_job_name_fails_the_task_and_triggers_nothing(dbt_cloud, monkeypatch):
    monkeypatch.setenv("DBT_CLOUD_JOB_NAME", "No such job")
    dag = load_dag("dbt_cloud_job_by_name")
    dag.get_task("run_job_by_name").retries = 0
    runs_before = len(dbt_cloud.runs(tenant.BUILD_ALL_JOB_ID))

    outcome = run_dag(dag)

    assert outcome.state == "failed"
    assert len(dbt_cloud.runs(tenant.BUILD_ALL_JOB_ID)) == runs_before
