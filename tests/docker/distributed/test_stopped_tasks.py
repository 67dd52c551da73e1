"""A task stopped by hand, in the distributed stack (make test-distributed): its dbt Cloud run is cancelled.

Mark failed and clear, each of a sync task running on a Celery worker (the worker's task runner
gets the new state on its next heartbeat and calls the operator's on_kill) and of a deferred task
waiting in a triggerer (the trigger's on_kill; the API server's listener for mark failed). Then:
- in the emulator, the task's run is cancelled within CANCEL_TIMEOUT; a cleared task has the
  one new run its next try started (the planned new one), and nothing else;
- in Airflow, a task marked failed stays failed; a cleared task ends as its new run (released in
  success) does.
"""

from __future__ import annotations

import time

import pytest

from tests.docker.distributed.outcomes import scenario
from tests.docker.report import LINES as REPORT
from tests.docker.soak.test_container_kills import (DEFERRABLE, SYNC, SYNTHETIC, TRIGGERING, described, start_runs)
from tests.polling import CANCELLED, SUCCESS, wait_until
from tests.reliability.dbt_runs import runs_of_task

CANCEL_TIMEOUT = 60
# A clear gives the task a key of its own (its first try since the clear): tries 1 to 3 with retries=2.
FIRST_TRIES = (1, 2, 3)
STOPPED = {(SYNC, "run_dbt_cloud_job"): "sync task on a worker", (DEFERRABLE, "run_job_deferrable"): "deferred task"}


@pytest.mark.parametrize("stop", ["mark failed", "clear"])
@pytest.mark.parametrize(("dag_id", "task_id"), list(STOPPED), ids=list(STOPPED.values()))
def test_a_stopped_task_s_run_is_cancelled(airflow, dbt_cloud, emulator, dag_id, task_id, stop):
    with scenario(f"{stop} of a {STOPPED[dag_id, task_id]}"):
        underway = start_runs(airflow, dag_id)
        run_id = underway.runs[task_id]

        stopped = time.monotonic()
        if stop == "mark failed":
            airflow.set_task_state(dag_id, underway.dag_run_id, task_id, "failed")
        else:
            airflow.clear_task(dag_id, underway.dag_run_id, task_id)
        problems = []
        try:
            wait_until(f"run #{run_id} to be cancelled", lambda: dbt_cloud.run(run_id)["status"] == CANCELLED,
                       timeout=CANCEL_TIMEOUT, every=1)
            cancelled = f"cancelled {time.monotonic() - stopped:.0f} s after"
        except AssertionError as late:
            cancelled = f"not cancelled: {late}, it is {dbt_cloud.run(run_id)['status_humanized']}"
            problems.append(f"run #{run_id} {cancelled}")
        if stop == "clear":  # the next try starts the planned new run
            wait_until("the cleared task's new run", lambda: airflow.xcom(
                dag_id, underway.dag_run_id, task_id, "job_run_id") not in (None, run_id), timeout=300, every=2)

        # The runs still waiting: the new run of a cleared task, the sensor's run of the deferrable DAG.
        waiting = (stop == "clear") + len(TRIGGERING[dag_id]) - 1
        released = emulator.release_synthetic_runs()
        if released["released"] != waiting:
            problems.append(f"released {released['released']} waiting runs, expected {waiting}")
        state = airflow.wait_finished({dag_id: underway.dag_run_id}, timeout=300)[dag_id]
        ti = airflow.task_instance(dag_id, underway.dag_run_id, task_id)
        found = runs_of_task(dbt_cloud, SYNTHETIC, dag_id, underway.dag_run_id, task_id, first_tries=FIRST_TRIES)
        planned = [(run_id, CANCELLED)] + ([(found[-1]["id"] if found else None, SUCCESS)] if stop == "clear" else [])
        if [(r["id"], r["status"]) for r in found] != planned:
            problems.append(f"runs of {task_id}: {described(found)}; expected #{run_id} cancelled"
                            + (", then one new run succeeded" if stop == "clear" else " alone"))
        expected_state = "failed" if stop == "mark failed" else "success"
        if ti["state"] != expected_state:
            problems.append(f"{task_id} is {ti['state']} in try {ti['try_number']}, expected {expected_state}")
        REPORT.append(f"{stop} of a {STOPPED[dag_id, task_id]}: run #{run_id} {cancelled}; "
                      f"released {released['released']}; task {ti['state']} in try {ti['try_number']}, DAG run {state}; "
                      f"runs in the emulator for {task_id}: {described(found)}")
        assert not problems, "\n".join(problems)
