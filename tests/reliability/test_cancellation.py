"""Cancellation: a task stopped by its execution_timeout leaves its dbt Cloud run cancelled within 30 s.

Sync and deferrable. Job 999 (the emulator's synthetic job: a minute of waiting, no dbt) keeps
the run in progress for as long as the test needs. And the next try of a cleared task cancels the
run its stopped try left going. Marking a task failed and clearing it through Airflow need a
running Airflow: soak/test_stack_stop_and_kill.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import TaskDeferred

from include.dbt_cloud.operators import _key_tag, _task_key
from local_runner import demo_tenant as tenant
from tests.e2e.dag_runner import load_dag, run_dag
from tests.polling import CANCELLED, IN_PROGRESS
from tests.reliability.dbt_runs import new_runs, run_ids

pytestmark = pytest.mark.e2e
SYNTHETIC = tenant.SYNTHETIC_JOB_ID
TIMEOUT = timedelta(seconds=8)


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


def test_the_next_try_of_a_cleared_task_cancels_the_run_its_stopped_try_left_going(dbt_cloud, monkeypatch):
    # Try 1 deferred and was cleared before the triggerer started its wait, so no on_kill cancelled
    # its run. The clear set max_tries to 1 + retries, which gives try 2 a key of its own (first try
    # 2); try 2 must cancel try 1's run, then start and wait for a run of its own.
    monkeypatch.setenv("DBT_CLOUD_JOB_ID", str(SYNTHETIC))
    task = load_dag("dbt_cloud_deferrable").get_task("run_job_deferrable")
    dag_run_id = f"manual__{datetime.now(timezone.utc).isoformat()}"
    parts = (task.dag_id, dag_run_id, task.task_id, -1)
    stopped = dbt_cloud.trigger(SYNTHETIC, f"Try 1, cleared while deferred {_key_tag(_task_key(*parts, first_try=1))}")
    xcom: dict[str, object] = {}
    try_2 = SimpleNamespace(dag_id=task.dag_id, run_id=dag_run_id, task_id=task.task_id, map_index=-1,
                            try_number=2, max_tries=1 + task.retries, xcom_push=lambda key, value: xcom.update({key: value}))

    with pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": try_2})

    assert dbt_cloud.run(stopped["id"])["status"] == CANCELLED
    new_run = dbt_cloud.run(xcom["job_run_id"])
    assert new_run["id"] != stopped["id"] and deferred.value.trigger.run_id == new_run["id"]
    assert _key_tag(_task_key(*parts, first_try=2)) in new_run["trigger"]["cause"]
    assert new_run["status"] in IN_PROGRESS
    dbt_cloud.cancel(new_run["id"])


@pytest.mark.parametrize("cancel_on_kill", [True, False], ids=["operator's trigger", "sensor's trigger"])
def test_the_trigger_killed_cancels_its_run_only_for_the_task_that_started_it(dbt_cloud, cancel_on_kill):
    # What the triggerer does when a deferred task is marked failed or cleared (and the listener for a
    # trigger not started yet): on_kill. The operator's trigger cancels the run; a sensor's leaves it.
    from include.dbt_cloud.trigger import ResilientDbtCloudRunJobTrigger

    started = dbt_cloud.trigger(SYNTHETIC, "Killed while deferred")
    trigger = ResilientDbtCloudRunJobTrigger(conn_id="dbt_cloud_default", run_id=started["id"], account_id=tenant.ACCOUNT_ID,
                                             end_time=time.time() + 60, poll_interval=2, cancel_on_kill=cancel_on_kill)
    asyncio.run(trigger.on_kill())

    status = dbt_cloud.run(started["id"])["status"]
    if not cancel_on_kill:
        assert status in IN_PROGRESS
        dbt_cloud.cancel(started["id"])
    else:
        assert status == CANCELLED
