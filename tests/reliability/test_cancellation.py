"""Cancellation: a task stopped by its execution_timeout leaves its dbt Cloud run cancelled within 30 s.

Sync and deferrable. Job 999 (the emulator's synthetic job: a minute of waiting, no dbt) keeps
the run in progress for as long as the test needs. Marking a task failed and clearing it need a
running Airflow: soak/test_stack_stop_and_kill.py.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from tests.reliability.dbt_runs import new_runs, run_ids

pytestmark = pytest.mark.e2e
SYNTHETIC = 999
TIMEOUT = timedelta(seconds=8)
CANCELLED = 30


@pytest.mark.parametrize(
    ("dag_id", "task_id"), [("dbt_cloud_run_job", "run_dbt_cloud_job"), ("dbt_cloud_deferrable", "run_job_deferrable")],
)
def test_execution_timeout_cancels_the_run(dbt_cloud, monkeypatch, dag_id, task_id):
    monkeypatch.setenv("DBT_CLOUD_JOB_ID", str(SYNTHETIC))
    dag = load_dag(dag_id).partial_subset(task_ids=[task_id])
    task = dag.get_task(task_id)
    task.execution_timeout, task.retries = TIMEOUT, 0
    before = run_ids(dbt_cloud, [SYNTHETIC])

    started = time.monotonic()
    outcome = run_dag(dag)
    elapsed = time.monotonic() - started

    assert outcome.state == "failed"
    [run] = new_runs(dbt_cloud, [SYNTHETIC], before)
    assert run["status"] == CANCELLED, f"run {run['id']} is {run['status_humanized']}"
    # Cancelled (and recorded so) within 30 s of the timeout: well before the synthetic minute ends.
    assert elapsed < TIMEOUT.total_seconds() + 30
