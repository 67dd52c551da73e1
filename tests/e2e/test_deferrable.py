"""dbt_cloud_deferrable: both forms hand the wait to a trigger (dag.test() runs it inline)."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from local_runner import demo_tenant as tenant
from tests.polling import SUCCESS

pytestmark = pytest.mark.e2e

INLINE_TRIGGER = "[DAG TEST] running trigger in line"


def task_messages(messages: list[str], task_id: str) -> list[str]:
    """dag.test()'s log messages from the start to the end of one task."""
    start = next(i for i, m in enumerate(messages) if m.startswith(f"[DAG TEST] starting task_id={task_id} "))
    end = next(i for i, m in enumerate(messages) if m.startswith(f"[DAG TEST] end task task_id={task_id} "))
    return messages[start:end]


@pytest.mark.parametrize(
    ("waiting_task", "tasks"),
    [("run_job_deferrable", ["run_job_deferrable"]), ("wait_for_job", ["trigger_job", "wait_for_job"])],
)
def test_the_wait_is_deferred_and_ends_with_the_run(dbt_cloud, caplog, waiting_task, tasks):
    # One form at a time, so the run is still going when the waiting task starts.
    dag = load_dag("dbt_cloud_deferrable").partial_subset(task_ids=tasks, include_upstream=True)
    with caplog.at_level(logging.INFO):
        outcome = run_dag(dag)

    assert outcome.state == "success"
    assert INLINE_TRIGGER in task_messages(caplog.messages, waiting_task)
    run_id = outcome.xcom(tasks[0], key="job_run_id")
    assert outcome.xcom(waiting_task) == run_id  # execute_complete returns the run id
    run = dbt_cloud.run(run_id)
    assert (run["job_definition_id"], run["status"]) == (tenant.BUILD_ALL_JOB_ID, SUCCESS)
