"""A scheduler lost, in the distributed stack (make test-distributed): the other one goes on; nothing is lost.

A sync task runs on a worker and a deferrable DAG run waits in a triggerer (the synthetic job's
runs, held until released) when `docker kill` takes one scheduler. With CeleryExecutor the tasks
live on the workers, not in the scheduler: they go on, and the other scheduler adopts them (its
check of orphaned tasks) and schedules what comes next, including a DAG run triggered after the
kill. Released, every task ends in success in the try it was in (none runs again), one dbt Cloud run each.
"""

from __future__ import annotations

import time

import pytest

from tests.docker.distributed.outcomes import scenario
from tests.docker.distributed.services import SCHEDULERS
from tests.docker.report import LINES as REPORT
from tests.docker.soak.test_container_kills import (DEFERRABLE, SYNC, TRIGGERING, one_successful_run_per_task,
                                                    release_running_runs, start_runs)

pytestmark = pytest.mark.usefixtures("twins_started_again")

KILLED = SCHEDULERS[0]


def tries_of(airflow, runs) -> dict[tuple[str, str], tuple[str, int]]:
    """(DAG run, task) -> (state, try number) of the DAG runs' tasks that have started."""
    return {(run.dag_run_id, ti["task_id"]): (ti["state"], ti["try_number"]) for run in runs
            for ti in airflow.task_instances(run.dag_id, run.dag_run_id) if ti["try_number"]}


def test_a_killed_scheduler_s_work_goes_on_with_the_other(astro_project, airflow, dbt_cloud, emulator):
    with scenario("scheduler kill"):
        before = [start_runs(airflow, SYNC), start_runs(airflow, DEFERRABLE)]
        tries = tries_of(airflow, before)

        killed = time.monotonic()
        astro_project.kill_service(KILLED)  # stays down until every run has ended
        after = start_runs(airflow, SYNC)  # only the other scheduler can start it
        started_after = time.monotonic() - killed
        underway = [*before, after]
        tries |= tries_of(airflow, [after])
        released = release_running_runs(emulator, expected=sum(len(TRIGGERING[run.dag_id]) for run in underway))
        states = {run.dag_run_id: airflow.wait_finished({run.dag_id: run.dag_run_id}, timeout=300)[run.dag_id]
                  for run in underway}
        astro_project.start_service(KILLED)

        runs_seen, problems = one_successful_run_per_task(dbt_cloud, underway)
        ended = tries_of(airflow, underway)
        if set(states.values()) != {"success"} or {state for state, _ in ended.values()} != {"success"}:
            problems.append(f"DAG runs {states}; tasks (state, try): {ended}")
        if retried := {task: (tries[task][1], ended[task][1]) for task in tries if tries[task][1] != ended[task][1]}:
            problems.append(f"tasks run again after the kill (try before, after): {retried}")
        REPORT.append(f"scheduler kill: {KILLED} killed with a sync task running and a deferrable DAG run waiting; a DAG "
                      f"run triggered after it ran its task {started_after:.0f} s after the kill; released "
                      f"{released['released']}; DAG runs {sorted(states.values())}; runs in the emulator per task: "
                      + "; ".join(runs_seen))
        assert not problems, "\n".join(problems)
