"""A triggerer lost with many deferred waits on it, in the distributed stack (make test-distributed).

Several runs of dbt_cloud_deferrable wait in the triggerers (the deferred operator and the deferrable
sensor of each, on the synthetic job's runs, held until released). `docker kill` of the triggerer
holding most of them: once its heartbeat is older than triggerer_health_check_threshold (30 s),
the other triggerer takes its triggers over (Airflow's triggerer HA) and goes on waiting on the
same runs. Released, every wait ends as its run did: one dbt Cloud run per task, each a success,
every task a success in the try it was waiting in.
"""

from __future__ import annotations

import time

import pytest
from collections import Counter

from tests.docker.distributed.outcomes import scenario
from tests.docker.distributed.services import TRIGGERERS, service_of
from tests.docker.report import LINES as REPORT
from tests.docker.soak.test_container_kills import (DEFERRABLE, TRIGGERING, WAITING, one_successful_run_per_task,
                                                    release_running_runs, runs_underway, triggerer_of)
from tests.polling import wait_until

pytestmark = pytest.mark.usefixtures("twins_started_again")

DAG_RUNS = 4  # 8 deferred waits, 8 dbt Cloud runs
# The killed triggerer's heartbeat goes stale after 30 s; the other one claims its triggers on its next loop.
TAKEOVER_TIMEOUT = 300


def test_a_killed_triggerer_s_waits_are_taken_over_by_the_other(astro_project, airflow, dbt_cloud, emulator):
    with scenario("triggerer kill (deferred waits)"):
        dag_run_ids = [airflow.trigger(DEFERRABLE) for _ in range(DAG_RUNS)]
        underway = [runs_underway(airflow, DEFERRABLE, dag_run_id) for dag_run_id in dag_run_ids]
        waits = [(run.dag_run_id, task_id) for run in underway for task_id in WAITING[DEFERRABLE]]

        def holders() -> dict[tuple[str, str], int | None]:
            return {(run_id, task_id): triggerer_of(airflow.task_instance(DEFERRABLE, run_id, task_id))
                    for run_id, task_id in waits}

        before = holders()
        tries = {(run_id, task_id): airflow.task_instance(DEFERRABLE, run_id, task_id)["try_number"]
                 for run_id, task_id in waits}
        [(killed_id, held)] = Counter(before.values()).most_common(1)
        hostname = {job["id"]: job["hostname"] for job in airflow.jobs("TriggererJob")}[killed_id]
        killed_service = service_of(astro_project, hostname, TRIGGERERS)
        moved = [wait for wait, holder in before.items() if holder == killed_id]

        killed = time.monotonic()
        astro_project.kill_service(killed_service)  # stays down until its waits are taken over
        after = wait_until(f"the other triggerer to take the {held} waits of triggerer {killed_id}", lambda: (
            now := holders()) and all(now[wait] not in (None, killed_id) for wait in moved) and now,
            timeout=TAKEOVER_TIMEOUT, every=3)
        recovered = time.monotonic() - killed
        astro_project.start_service(killed_service)
        taken_by = {after[wait] for wait in moved}

        released = release_running_runs(emulator, expected=DAG_RUNS * len(TRIGGERING[DEFERRABLE]))
        states = {run.dag_run_id: airflow.wait_finished({DEFERRABLE: run.dag_run_id}, timeout=300)[DEFERRABLE]
                  for run in underway}
        runs_seen, problems = one_successful_run_per_task(dbt_cloud, underway)
        for run in underway:
            tis = {ti["task_id"]: ti for ti in airflow.task_instances(DEFERRABLE, run.dag_run_id)}
            if states[run.dag_run_id] != "success" or {ti["state"] for ti in tis.values()} != {"success"}:
                problems.append(f"{run.dag_run_id} ended {states[run.dag_run_id]}: tasks {tis}")
            if retried := {task_id: (tries[run.dag_run_id, task_id], tis[task_id]["try_number"]) for task_id in WAITING[DEFERRABLE]
                           if tis[task_id]["try_number"] != tries[run.dag_run_id, task_id]}:
                problems.append(f"{run.dag_run_id}: waits run again after the kill (try before, after): {retried}")
        REPORT.append(f"triggerer kill: {killed_service} (triggerer {killed_id}) held {held} of {len(waits)} deferred waits, "
                      f"killed; triggerer {sorted(taken_by)} took them all over after {recovered:.0f} s; released "
                      f"{released['released']}; DAG runs {Counter(states.values())}; runs in the emulator per task: "
                      + "; ".join(runs_seen))
        if set(taken_by) & {killed_id, None}:
            problems.append(f"waits left on the killed triggerer: {after}")
        assert not problems, "\n".join(problems)
