"""A running Airflow (as `make start`): marking a task failed or clearing it cancels its dbt Cloud run
within 30 s, in sync and deferrable mode, also when a deferred task is stopped before the triggerer
has taken its wait; a task process killed mid-wait is retried and re-attaches to its run instead of
starting another.

The DAGs run the emulator's synthetic job 999 (no dbt), kept in progress for 10 minutes.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager

import pytest

from local_runner import demo_tenant as tenant
from tests.e2e.dbt_cloud_api import DbtCloudApi
from tests.polling import CANCELLED, IN_PROGRESS, wait_until
from tests.reliability.dbt_runs import runs_of_task

pytestmark = pytest.mark.e2e
SYNTHETIC = tenant.SYNTHETIC_JOB_ID


@pytest.fixture(scope="module")
def synthetic_job_env():
    patch = pytest.MonkeyPatch()
    patch.setenv("DBT_CLOUD_JOB_ID", str(SYNTHETIC))
    patch.setenv("DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS", "600")
    yield
    patch.undo()


@pytest.fixture(scope="module")
def stack(synthetic_job_env, local_stack, stack_dbt_cloud):
    from local_runner import airflow

    return local_stack, airflow.api_session(local_stack), stack_dbt_cloud


def start_dag_run(session, base: str, dag_id: str) -> str:
    wait_until(f"{dag_id} to be loaded", lambda: session.get(f"{base}/api/v2/dags/{dag_id}", timeout=10).ok)
    session.patch(f"{base}/api/v2/dags/{dag_id}", json={"is_paused": False}, timeout=10).raise_for_status()
    response = session.post(f"{base}/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None}, timeout=10)
    response.raise_for_status()
    return response.json()["dag_run_id"]


def task_instance(session, base, dag_id, dag_run_id, task_id) -> dict:
    return session.get(f"{base}/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}", timeout=10).json()


def job_run_id(session, base, dag_id, dag_run_id, task_id) -> int | None:
    url = f"{base}/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/job_run_id"
    response = session.get(url, timeout=10)
    return int(response.json()["value"]) if response.ok else None


def triggerer_id(session, base, dag_id, dag_run_id, task_id) -> int | None:
    return (task_instance(session, base, dag_id, dag_run_id, task_id).get("trigger") or {}).get("triggerer_id")


def in_progress_run(stack_parts, dag_id, task_id, waiting_state, *, taken_by_triggerer: bool = True) -> tuple[str, int]:
    cfg, session, _ = stack_parts
    base = cfg.airflow_url
    dag_run_id = start_dag_run(session, base, dag_id)
    run_id = wait_until("the dbt Cloud run", lambda: job_run_id(session, base, dag_id, dag_run_id, task_id))
    wait_until(f"{task_id} to be {waiting_state}",
             lambda: task_instance(session, base, dag_id, dag_run_id, task_id)["state"] == waiting_state)
    if waiting_state == "deferred" and taken_by_triggerer:
        # Stop the task while its wait is under way in the triggerer (on_kill's path); the tests
        # with the triggerer stopped cover a task stopped before.
        wait_until(f"the triggerer to take {task_id}'s trigger",
                 lambda: triggerer_id(session, base, dag_id, dag_run_id, task_id) is not None)
    return dag_run_id, run_id


@contextmanager
def triggerer_stopped(cfg):
    """Stop the triggerer, then start it again: a task that defers meanwhile has no triggerer to take its wait.
    (Not SIGSTOP: a triggerer frozen inside a write would hold SQLite's lock and stall every other component.)"""
    from local_runner import airflow, stack
    from local_runner.processes import stop

    [triggerer] = [component for component in airflow.components(cfg) if component.name == "triggerer"]
    stop(cfg, triggerer)
    try:
        yield
    finally:
        stack.start(cfg)


def wait_cancelled(api: DbtCloudApi, run_id: int) -> float:
    started = time.monotonic()
    wait_until(f"run {run_id} to be cancelled", lambda: api.run(run_id)["status"] == CANCELLED, timeout=30)
    return time.monotonic() - started


def new_run_of_cleared_task(session, base, dag_id, dag_run_id, task_id, old_run_id: int) -> int:
    return wait_until("the cleared task's new run", lambda: (
        rid := job_run_id(session, base, dag_id, dag_run_id, task_id)) not in (None, old_run_id) and rid)


def mark_failed(session, base, dag_id, dag_run_id, task_id) -> None:
    url = f"{base}/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}"
    session.patch(url, json={"new_state": "failed"}, timeout=10).raise_for_status()


def clear(session, base, dag_id, dag_run_id, task_id) -> None:
    body = {"dry_run": False, "task_ids": [task_id], "dag_run_id": dag_run_id, "only_failed": False}
    session.post(f"{base}/api/v2/dags/{dag_id}/clearTaskInstances", json=body, timeout=10).raise_for_status()


CASES = [("dbt_cloud_run_job", "run_dbt_cloud_job", "running"), ("dbt_cloud_deferrable", "run_job_deferrable", "deferred")]


@pytest.mark.parametrize(("dag_id", "task_id", "waiting_state"), CASES, ids=["sync", "deferrable"])
def test_marking_the_task_failed_cancels_its_run(stack, dag_id, task_id, waiting_state):
    cfg, session, api = stack
    dag_run_id, run_id = in_progress_run(stack, dag_id, task_id, waiting_state)

    mark_failed(session, cfg.airflow_url, dag_id, dag_run_id, task_id)

    assert wait_cancelled(api, run_id) < 30


@pytest.mark.parametrize(("dag_id", "task_id", "waiting_state"), CASES, ids=["sync", "deferrable"])
def test_clearing_the_task_cancels_its_run_and_the_next_try_starts_a_new_one(stack, dag_id, task_id, waiting_state):
    cfg, session, api = stack
    dag_run_id, run_id = in_progress_run(stack, dag_id, task_id, waiting_state)

    clear(session, cfg.airflow_url, dag_id, dag_run_id, task_id)

    assert wait_cancelled(api, run_id) < 30
    new_run = new_run_of_cleared_task(session, cfg.airflow_url, dag_id, dag_run_id, task_id, run_id)
    api.cancel(new_run)


@pytest.mark.parametrize("stop_task", [mark_failed, clear], ids=["mark failed", "clear"])
def test_a_deferred_task_stopped_before_the_triggerer_took_its_wait_cancels_its_run(stack, stop_task):
    # No trigger runs, so no on_kill: the API server's listener (mark failed) or the cleared task's
    # next try (clear) must cancel the run.
    cfg, session, api = stack
    dag_id, task_id = "dbt_cloud_deferrable", "run_job_deferrable"
    with triggerer_stopped(cfg):
        dag_run_id, run_id = in_progress_run(stack, dag_id, task_id, "deferred", taken_by_triggerer=False)
        assert triggerer_id(session, cfg.airflow_url, dag_id, dag_run_id, task_id) is None

        stop_task(session, cfg.airflow_url, dag_id, dag_run_id, task_id)

        assert wait_cancelled(api, run_id) < 30
        if stop_task is clear:
            new_run = new_run_of_cleared_task(session, cfg.airflow_url, dag_id, dag_run_id, task_id, run_id)
            assert api.run(new_run)["status"] in IN_PROGRESS
            api.cancel(new_run)


def test_a_killed_task_process_is_retried_and_reattaches_to_its_run(stack):
    cfg, session, api = stack
    dag_id, task_id = "dbt_cloud_run_job", "run_dbt_cloud_job"
    dag_run_id, run_id = in_progress_run(stack, dag_id, task_id, "running")

    os.kill(task_instance(session, cfg.airflow_url, dag_id, dag_run_id, task_id)["pid"], signal.SIGKILL)

    # The DAG's retry_delay (2 minutes), then try 2 finds the run of try 1 still going and waits on it.
    wait_until("try 2 to run", lambda: (ti := task_instance(session, cfg.airflow_url, dag_id, dag_run_id, task_id))
             ["try_number"] == 2 and ti["state"] == "running", timeout=300, every=2)
    assert wait_until("try 2's run id", lambda: job_run_id(session, cfg.airflow_url, dag_id, dag_run_id, task_id)) == run_id
    # Other tests' DAG runs may still make runs; this DAG run's task has exactly one.
    assert [run["id"] for run in runs_of_task(api, SYNTHETIC, dag_id, dag_run_id, task_id)] == [run_id]
    assert api.run(run_id)["status"] in IN_PROGRESS
    api.cancel(run_id)  # end the 10-minute run
