"""The two timeouts of a dbt Cloud task, with retries (docs/timeouts.md), sync and deferrable:
- `timeout` stops the waiting: the task fails at once, not retried, naming its run, which keeps going;
- `execution_timeout` stops the task: its run is cancelled, and the retry starts a run of its own.

Through the real provider against the emulator's synthetic job (999), whose runs take a minute.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from local_runner import demo_tenant
from tests.e2e.dag_runner import load_dag, run_dag
from tests.polling import CANCELLED, IN_PROGRESS
from tests.reliability.dbt_runs import new_runs, run_ids

pytestmark = pytest.mark.e2e
SYNTHETIC = demo_tenant.SYNTHETIC_JOB_ID
MODES = pytest.mark.parametrize(
    ("dag_id", "task_id"), [("dbt_cloud_run_job", "run_dbt_cloud_job"), ("dbt_cloud_deferrable", "run_job_deferrable")],
    ids=["sync", "deferrable"],
)


def synthetic_task(monkeypatch, dag_id: str, task_id: str, **settings):
    """The DAG cut down to the one task, on job 999, with `settings` and a 1 s retry delay."""
    monkeypatch.setenv("DBT_CLOUD_JOB_ID", str(SYNTHETIC))
    dag = load_dag(dag_id).partial_subset(task_ids=[task_id])
    task = dag.get_task(task_id)
    task.retry_delay = timedelta(seconds=1)
    failures: list[BaseException] = []
    task.on_failure_callback = [lambda context: failures.append(context["exception"])]
    for name, value in settings.items():
        setattr(task, name, value)
    return dag, failures


@MODES
def test_a_wait_timeout_fails_at_once_naming_the_run_which_keeps_going(dbt_cloud, monkeypatch, dag_id, task_id):
    dag, failures = synthetic_task(monkeypatch, dag_id, task_id, timeout=4, retries=2, execution_timeout=None)
    before = run_ids(dbt_cloud, [SYNTHETIC])

    outcome = run_dag(dag)

    [run] = new_runs(dbt_cloud, [SYNTHETIC], before)
    try:
        ti = outcome.task_instance(task_id)
        assert (outcome.state, ti.state, ti.try_number) == ("failed", "failed", 1), "no retry after a wait timeout"
        assert run["status"] in IN_PROGRESS, f"run {run['id']} should keep going, it is {run['status_humanized']}"
        [error] = failures
        message = str(error)
        assert f"Stopped waiting for dbt Cloud run {run['id']} after this task's timeout of 4 s" in message
        assert "keeps going in dbt Cloud. Not retried" in message and message.endswith(run["href"])
    finally:
        dbt_cloud.cancel(run["id"])


@MODES
def test_an_execution_timeout_cancels_the_run_and_the_retry_starts_its_own(dbt_cloud, monkeypatch, dag_id, task_id):
    dag, failures = synthetic_task(monkeypatch, dag_id, task_id, execution_timeout=timedelta(seconds=8), retries=1)
    before = run_ids(dbt_cloud, [SYNTHETIC])

    outcome = run_dag(dag)

    ti = outcome.task_instance(task_id)
    assert (outcome.state, ti.state, ti.try_number) == ("failed", "failed", 2), "one retry after the first timeout"
    runs = new_runs(dbt_cloud, [SYNTHETIC], before)
    assert [run["status"] for run in runs] == [CANCELLED, CANCELLED], [run["status_humanized"] for run in runs]
    assert [", try 1." in runs[0]["trigger"]["cause"], ", try 2." in runs[1]["trigger"]["cause"]] == [True, True]
    assert len(failures) == 1 and "Stopped waiting" not in str(failures[0])
