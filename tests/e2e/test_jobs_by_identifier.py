"""A deployment's DAGs with no job id set, against the emulator as if it were dbt Cloud: each task finds
its job when it runs, by its identifier in dbt_cloud_jobs.yml."""

from __future__ import annotations

import pytest

from include.dbt_cloud.config import _JOB_ID_VARIABLES as JOB_ID_VARIABLES
from local_runner import demo_tenant as tenant
from tests.e2e.dag_runner import load_dag, run_dag
from tests.polling import SUCCESS
from tests.reliability.dbt_runs import run_ids

pytestmark = pytest.mark.e2e
NAMES = ("DBT_CLOUD_PROJECT_NAME", "DBT_CLOUD_ENVIRONMENT_NAME", "DBT_CLOUD_JOB_NAME")


def as_a_deployment(monkeypatch, **scope: int) -> None:
    """No job id: the account id (and the name-lookup DAG's names), plus `scope`."""
    for variable in [*JOB_ID_VARIABLES.values(), "DBT_CLOUD_PROJECT_ID", "DBT_CLOUD_ENVIRONMENT_ID"]:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DBT_CLOUD_ACCOUNT_ID", str(tenant.ACCOUNT_ID))
    for name in NAMES:
        monkeypatch.setenv(name, tenant.dag_settings()[name])
    for name, value in scope.items():
        monkeypatch.setenv(name, str(value))


def test_chained_jobs_run_the_jobs_their_identifiers_name(dbt_cloud, monkeypatch, capfd):
    as_a_deployment(monkeypatch, DBT_CLOUD_PROJECT_ID=tenant.PROJECT_ID,
                    DBT_CLOUD_ENVIRONMENT_ID=tenant.PRODUCTION_ENVIRONMENT_ID)

    outcome = run_dag(load_dag("dbt_cloud_chained_jobs"))
    task_log = capfd.readouterr().out

    assert outcome.state == "success"
    for task_id, job_id in (("build_all_models", tenant.BUILD_ALL_JOB_ID), ("publish_marts", tenant.PUBLISH_MARTS_JOB_ID)):
        run = dbt_cloud.run(outcome.xcom(task_id))
        assert (run["job_definition_id"], run["status"]) == (job_id, SUCCESS), task_id
    assert f"dbt Cloud job {tenant.BUILD_ALL_JOB_ID} 'Build all models [[build_all]]' has the identifier [[build_all]]" in task_log
    assert f"dbt Cloud job {tenant.PUBLISH_MARTS_JOB_ID} 'Publish marts [[publish_marts]]' has the identifier" in task_log


def test_an_identifier_in_two_environments_fails_the_task_at_once_naming_both_jobs(dbt_cloud, monkeypatch, capfd):
    as_a_deployment(monkeypatch)  # no project or environment: the whole account, where Staging's 555 has [[build_all]] too
    jobs = [tenant.BUILD_ALL_JOB_ID, tenant.STAGING_BUILD_ALL_JOB_ID]
    before = run_ids(dbt_cloud, jobs)

    outcome = run_dag(load_dag("dbt_cloud_run_job"))
    task_log = capfd.readouterr().out

    assert outcome.state == "failed"
    assert outcome.task_instance("run_dbt_cloud_job").try_number == 1, "a retry would find the same two jobs"
    assert run_ids(dbt_cloud, jobs) == before
    assert (f"2 dbt Cloud jobs have [[build_all]] in their name in account {tenant.ACCOUNT_ID}, any project, "
            f"any environment: {tenant.BUILD_ALL_JOB_ID} (") in task_log, task_log[-3000:]
    assert f"{tenant.STAGING_BUILD_ALL_JOB_ID} ('Build all models [[build_all]]'" in task_log
    assert "set DBT_CLOUD_JOB_ID in .env to the id of the job to run" in task_log


def test_a_set_job_id_wins_over_the_identifier(dbt_cloud, monkeypatch):
    as_a_deployment(monkeypatch, DBT_CLOUD_JOB_ID=tenant.STAGING_BUILD_ALL_JOB_ID)

    outcome = run_dag(load_dag("dbt_cloud_run_job"))

    assert outcome.state == "success"
    run = dbt_cloud.run(outcome.xcom("run_dbt_cloud_job"))
    assert (run["job_definition_id"], run["status"]) == (tenant.STAGING_BUILD_ALL_JOB_ID, SUCCESS)
