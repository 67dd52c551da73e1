"""A Celery worker lost mid-run, then every DAG by hand, in the distributed stack (make test-distributed).

`docker kill` of the worker that runs a sync task while its dbt Cloud run is in progress (the
synthetic job, held until released): Airflow fails the try once its heartbeat is older than
task_instance_heartbeat_timeout (60 s in celery-distributed.compose.yml), and the next try runs on
the other worker and re-attaches to the run: one dbt Cloud run for the task, ending as the run ends.
Then the project's .env drops the synthetic job (`compose up -d` rolls the change out, as a deploy
does) and all 10 DAGs, triggered by hand, must succeed.
"""

from __future__ import annotations

import time

import pytest

from docker_stack.engine import docker
from tests.docker.distributed.outcomes import DAGS, SCENARIOS
from tests.docker.report import LINES as REPORT
from tests.docker.soak.test_container_kills import (SYNC, described, release_running_runs, start_runs,
                                                    task_runs)
from tests.docker.stack import killed_leaving_nothing
from tests.docker.test_astro_dev import _expected_dag_ids, _failed_tasks_errors
from tests.polling import SUCCESS, wait_until

WORKERS = ("worker-1", "worker-2")
# Heartbeat timeout (60 s) + its detection (10 s) + the DAG's retry_delay (2 min) + scheduling.
WORKER_LOSS_RECOVERY_TIMEOUT = 600
# The emulator runs dbt one run at a time (~13 runs queue): 900 s was too short once at load 20.
DAG_RUNS_TIMEOUT = 1800


@pytest.fixture(scope="module")
def emulator(dbt_cloud):
    from dbt_cloud_emulator.pytest_plugin import EmulatorControl

    return EmulatorControl(dbt_cloud.base, dbt_cloud.session.verify)


def worker_of(astro_project, ti: dict) -> str:
    """The compose service whose container ran the task try (Celery's hostname is the container's)."""
    for service in WORKERS:
        hostname = docker("inspect", "--format", "{{.Config.Hostname}}", astro_project.container(service)).stdout.strip()
        if hostname == ti["hostname"]:
            return service
    raise AssertionError(f"task ran on {ti['hostname']!r}, none of {WORKERS}")


def test_a_killed_worker_s_sync_task_reattaches_on_the_other_worker(astro_project, airflow, dbt_cloud, emulator):
    underway = start_runs(airflow, SYNC)
    [(task_id, run_id)] = underway.runs.items()
    first = airflow.task_instance(SYNC, underway.dag_run_id, task_id)
    killed_worker = worker_of(astro_project, first)
    next_try = first["try_number"] + 1  # try 1 may have failed to start on a loaded machine (and so retried)

    killed = time.monotonic()
    astro_project.kill_service(killed_worker)  # stays down until try 2 ran elsewhere
    second = wait_until(f"{task_id}'s try {next_try} to run", lambda: (ti := airflow.task_instance(
        SYNC, underway.dag_run_id, task_id))["try_number"] == next_try and ti["state"] == "running" and ti,
        timeout=WORKER_LOSS_RECOVERY_TIMEOUT, every=3)
    reattached = wait_until(f"try {next_try}'s run id", lambda: airflow.xcom(SYNC, underway.dag_run_id, task_id, "job_run_id"),
                            timeout=120, every=2)
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
    held = (other_worker != killed_worker and int(reattached) == run_id
            and [(r["id"], r["status"]) for r in found] == [(run_id, SUCCESS)] and ti["state"] == "success")
    SCENARIOS["worker kill (sync task)"] = held
    assert other_worker != killed_worker
    assert int(reattached) == run_id, f"try {next_try} ran run #{reattached}, not the killed try's #{run_id}"
    assert [(r["id"], r["status"]) for r in found] == [(run_id, SUCCESS)], described(found)
    assert ti["state"] == "success"


def test_every_dag_triggered_by_hand_succeeds_on_the_celery_workers(astro_project, project_env, airflow, dbt_cloud):
    project_env.write_text("")  # the demo jobs again, rolled out to every Airflow service
    astro_project.up()
    astro_project.wait_healthy()
    dag_ids = airflow.wait_for_dags(_expected_dag_ids())
    runs = {dag_id: airflow.trigger(dag_id) for dag_id in dag_ids}
    DAGS.update(airflow.wait_finished(runs, DAG_RUNS_TIMEOUT))
    workers = {ti["hostname"] for dag_id, run_id in runs.items() for ti in airflow.task_instances(dag_id, run_id)
               if ti["hostname"]}
    REPORT.append(f"{sum(s == 'success' for s in DAGS.values())} of {len(DAGS)} DAGs succeeded on the Celery workers "
                  f"(tasks ran on {len(workers)} hosts): {DAGS}")
    failed = {dag_id: _failed_tasks_errors(airflow, dag_id, runs[dag_id]) for dag_id, s in DAGS.items() if s != "success"}
    assert not failed, "\n".join(f"{dag_id}:\n{errors}" for dag_id, errors in failed.items())


def test_compose_down_leaves_no_container_network_or_volume(astro_project):
    assert killed_leaving_nothing(astro_project)
