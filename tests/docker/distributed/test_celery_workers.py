"""A Celery worker lost or stopped mid-run, in the distributed stack (make test-distributed).

The worker runs a sync task while its dbt Cloud run is in progress (the synthetic job, held until
released).
- `docker kill`: Airflow fails the try once its heartbeat is older than
  task_instance_heartbeat_timeout (60 s in celery-distributed.compose.yml), and the next try runs on
  the other worker and re-attaches to the run: one dbt Cloud run for the task, ending as the run ends.
- Warm shutdown (`docker stop`: SIGTERM, SIGKILL after the grace period, as a deploy or an
  autoscaler stops a worker): Celery lets the running task go on. A run that ends within the grace
  period ends the task there, in the same try; a run that outlasts the grace period is re-attached
  to by the next try on the other worker, as after a kill. One dbt Cloud run per task either way.
  (A task queued during the shutdown is not checked: once the stopping worker took it from the
  Redis broker and held it, not running it, until the engine killed the worker.)
"""

from __future__ import annotations

import time

import pytest

from tests.docker.distributed.outcomes import scenario
from tests.docker.distributed.services import WORKERS, service_of
from tests.docker.report import LINES as REPORT
from tests.docker.soak.test_container_kills import (SYNC, described, release_running_runs, start_runs,
                                                    task_runs)
from tests.polling import SUCCESS, wait_until

pytestmark = pytest.mark.usefixtures("twins_started_again")

# Heartbeat timeout (60 s) + its detection (10 s) + the DAG's retry_delay (2 min) + scheduling.
WORKER_LOSS_RECOVERY_TIMEOUT = 600
GRACE_SECONDS = 120  # stop_grace_period of the workers in celery-distributed.compose.yml
SHORT_GRACE_SECONDS = 15  # a deploy that waits less than the dbt Cloud run takes
WARM_SHUTDOWN_CHECK_SECONDS = 10  # how long after SIGTERM the task must still run in its try


def worker_of(astro_project, ti: dict) -> str:
    """The compose service whose container ran the task try."""
    return service_of(astro_project, ti["hostname"], WORKERS)


def test_a_killed_worker_s_sync_task_reattaches_on_the_other_worker(astro_project, airflow, dbt_cloud, emulator):
    with scenario("worker kill (sync task)"):
        underway = start_runs(airflow, SYNC)
        [(task_id, run_id)] = underway.runs.items()
        first = airflow.task_instance(SYNC, underway.dag_run_id, task_id)
        killed_worker = worker_of(astro_project, first)
        next_try = first["try_number"] + 1  # try 1 may have failed to start on a loaded machine (and so retried)

        killed = time.monotonic()
        astro_project.kill_service(killed_worker)  # stays down until try 2 ran elsewhere
        second, reattached = next_try_reattached(airflow, underway, task_id, next_try)
        recovered = time.monotonic() - killed
        astro_project.start_service(killed_worker)
        other_worker = worker_of(astro_project, second)

        released = release_running_runs(emulator, expected=1)
        states = airflow.wait_finished({SYNC: underway.dag_run_id}, timeout=300)
        found = task_runs(dbt_cloud, underway, task_id)
        ti = airflow.task_instance(SYNC, underway.dag_run_id, task_id)
        REPORT.append(f"worker kill: {task_id} ran on {killed_worker}, killed; try {next_try} on {other_worker} re-attached to "
                      f"run #{reattached} after {recovered:.0f} s; released {released['released']}; DAG run {states[SYNC]}, "
                      f"task {ti['state']} in try {ti['try_number']}; runs in the emulator: {described(found)}")
        assert other_worker != killed_worker
        assert reattached == run_id, f"try {next_try} ran run #{reattached}, not the killed try's #{run_id}"
        assert [(r["id"], r["status"]) for r in found] == [(run_id, SUCCESS)], described(found)
        assert ti["state"] == "success"


def next_try_reattached(airflow, underway, task_id: str, next_try: int) -> tuple[dict, int]:
    """The task's next try once it runs, and the run id it waits on."""
    running = wait_until(f"{task_id}'s try {next_try} to run", lambda: (ti := airflow.task_instance(
        SYNC, underway.dag_run_id, task_id))["try_number"] == next_try and ti["state"] == "running" and ti,
        timeout=WORKER_LOSS_RECOVERY_TIMEOUT, every=3)
    run_id = wait_until(f"try {next_try}'s run id", lambda: airflow.xcom(SYNC, underway.dag_run_id, task_id, "job_run_id"),
                        timeout=120, every=2)
    return running, int(run_id)


@pytest.mark.parametrize("run_ends", ["within the grace period", "after a short grace period"])
def test_a_worker_stopped_mid_run_finishes_its_task_or_hands_it_over(astro_project, airflow, dbt_cloud, emulator, run_ends):
    with scenario(f"warm shutdown of a worker, run ends {run_ends}"):
        underway = start_runs(airflow, SYNC)
        [(task_id, run_id)] = underway.runs.items()
        first = airflow.task_instance(SYNC, underway.dag_run_id, task_id)
        stopped_worker = worker_of(astro_project, first)
        short = run_ends != "within the grace period"

        sigterm = time.monotonic()
        stopping = astro_project.stop_service(stopped_worker, SHORT_GRACE_SECONDS if short else GRACE_SECONDS)
        if short:  # SIGKILL after the grace: the next try, on the other worker, waits on the same run
            stopping.wait(timeout=SHORT_GRACE_SECONDS + 60)
            handed_over, reattached = next_try_reattached(airflow, underway, task_id, first["try_number"] + 1)
            recovered = time.monotonic() - sigterm
            astro_project.start_service(stopped_worker)
            release_running_runs(emulator, expected=1)
            outcome = (f"SIGKILL after {SHORT_GRACE_SECONDS} s; try {handed_over['try_number']} on "
                       f"{worker_of(astro_project, handed_over)} re-attached to run #{reattached} {recovered:.0f} s after SIGTERM")
        else:  # the task goes on in its try until its run ends
            time.sleep(WARM_SHUTDOWN_CHECK_SECONDS)
            still = airflow.task_instance(SYNC, underway.dag_run_id, task_id)
            release_running_runs(emulator, expected=1)
            stopping.wait(timeout=GRACE_SECONDS + 60)
            recovered = time.monotonic() - sigterm
            astro_project.start_service(stopped_worker)
            outcome = (f"{WARM_SHUTDOWN_CHECK_SECONDS} s later the task was {still['state']} in try {still['try_number']}; "
                       f"released; the worker exited {recovered:.0f} s after SIGTERM")
        airflow.wait_finished({SYNC: underway.dag_run_id}, timeout=300)
        ti = airflow.task_instance(SYNC, underway.dag_run_id, task_id)
        found = task_runs(dbt_cloud, underway, task_id)
        REPORT.append(f"warm shutdown, run ends {run_ends}: {task_id} ran on {stopped_worker}, SIGTERM; {outcome}; "
                      f"task {ti['state']} in try {ti['try_number']} on {worker_of(astro_project, ti)}; runs in the emulator: "
                      f"{described(found)}")
        assert [(r["id"], r["status"]) for r in found] == [(run_id, SUCCESS)], described(found)
        assert ti["state"] == "success"
        if short:
            assert ti["try_number"] == first["try_number"] + 1 and worker_of(astro_project, ti) != stopped_worker
        else:
            assert still["state"] == "running" and still["try_number"] == first["try_number"]
            assert recovered < GRACE_SECONDS, "the worker did not end its warm shutdown by itself: the engine killed it"
            assert (ti["try_number"], worker_of(astro_project, ti)) == (first["try_number"], stopped_worker)
