"""Faults, long form: 30 runs of the example DAGs while a fifth of API requests fail; every one succeeds.

The emulator answers 429 (Retry-After), 500 or 503, answers 2 s late or drops the connection on a
fifth of /api/ requests, and half of the run triggers are created and then their answer dropped.
Each DAG run must succeed, and each task that triggers dbt Cloud must own exactly one run (the
retry DAG: its failed run plus the one rerun from the point of failure).
"""

from __future__ import annotations

import itertools

import pytest

from local_runner import demo_tenant as tenant
from tests.e2e.dag_runner import load_dag, run_dag
from tests.reliability.dbt_runs import new_runs, run_ids, runs_per_task, triggering_tasks
from tests.reliability.emulator_control import FIFTH_OF_REQUESTS_FAIL

pytestmark = pytest.mark.e2e
DAG_RUNS = 30
JOBS = (tenant.BUILD_ALL_JOB_ID, tenant.TAGGED_JOB_ID, tenant.LATE_DATA_JOB_ID, tenant.PUBLISH_MARTS_JOB_ID)
ROTATION = ["dbt_cloud_run_job", "dbt_cloud_deferrable", "dbt_cloud_chained_jobs", "dbt_cloud_elt",
            "dbt_cloud_job_by_name", "dbt_cloud_model_results", "dbt_cloud_hourly_models", "dbt_cloud_daily_models",
            "dbt_cloud_retry_from_failure"]


def test_thirty_dag_runs_under_faults_all_succeed_with_one_run_per_task(dbt_cloud, emulator_control):
    problems = []
    for number, dag_id in zip(range(1, DAG_RUNS + 1), itertools.cycle(ROTATION)):
        dag = load_dag(dag_id)
        if dag_id == "dbt_cloud_retry_from_failure":
            dbt_cloud.reset_job(tenant.LATE_DATA_JOB_ID)
        before = run_ids(dbt_cloud, JOBS)
        # Faults hit the DAG run only: the test's own bookkeeping calls are not what is under test.
        emulator_control.set_faults(**FIFTH_OF_REQUESTS_FAIL, drop_after_commit_rate=0.5, seed=number)
        outcome = run_dag(dag)
        emulator_control.set_faults(rate=0, drop_after_commit_rate=0)
        runs = new_runs(dbt_cloud, JOBS, before)
        expected = {task_id: 1 for task_id in triggering_tasks(dag)}
        if dag_id == "dbt_cloud_retry_from_failure":
            expected["(none)"] = 1  # the rerun (POST jobs/333/rerun/ takes no cause)
        counted = runs_per_task(dag, outcome.dag_run, runs)
        if outcome.state != "success" or counted != expected:
            problems.append(f"#{number} {dag_id}: {outcome.state}, runs per task {dict(counted)} != {expected}")
    injected = emulator_control.faults()["injected"]
    assert not problems, "\n".join(problems)
    assert injected.get("drop", 0) and injected.get("429", 0) and injected.get("drop_after_commit", 0), injected
