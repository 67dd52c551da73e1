"""Containers killed mid-run, in the stack `astro dev start` runs: `docker kill`, then `docker start`, of
the scheduler, the triggerer and the emulator while dbt Cloud runs are in progress (make soak only).

The DAGs run the emulator's synthetic job (DBT_CLOUD_JOB_ID in the project's .env, as a user sets a
job id): its runs stay in progress until the test releases them (POST /_emulator/synthetic/release),
so every kill lands mid-run however slow the machine. After each kill every task must end as its dbt
Cloud run truly ended, with one run per task try (a retried task re-attaches to its run), read from
the emulator's API through its published port.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from dbt_cloud_emulator.pytest_plugin import EmulatorControl

from local_runner import demo_tenant as tenant
from tests.docker.airflow_rest import AirflowRest
from tests.docker.report import LINES as REPORT
from tests.docker.stack import killed_leaving_nothing, running_project
from tests.polling import ERROR, IN_PROGRESS, RUNNING, SUCCESS, wait_until
from tests.reliability.dbt_runs import runs_of_task

SYNTHETIC = tenant.SYNTHETIC_JOB_ID
SYNTHETIC_SECONDS = 3600  # far longer than the test: the runs end when released
SYNC, DEFERRABLE = "dbt_cloud_run_job", "dbt_cloud_deferrable"
# The tasks that trigger a dbt Cloud run, and those that wait on one (in which state), by DAG.
TRIGGERING = {SYNC: ("run_dbt_cloud_job",), DEFERRABLE: ("run_job_deferrable", "trigger_job")}
WAITING = {SYNC: {"run_dbt_cloud_job": "running"},
           DEFERRABLE: {"run_job_deferrable": "deferred", "wait_for_job": "deferred"}}
# A scheduler killed with its task processes: Airflow finds the task orphaned (its scheduler's
# heartbeat is over 30 s old) or without heartbeat (300 s), then retries it.
SCHEDULER_RECOVERY_TIMEOUT = 900
RETRY_TIMEOUT = 600  # a failed try, the DAGs' retry_delay (2 min), the next try's run
RESTARTED_RUN = "stopped while this run was in progress"  # the emulator's message for a run it lost


@pytest.fixture(scope="module")
def astro_project(base_images, tmp_path_factory):
    """The stack with the user's .env naming the synthetic job, and the emulator keeping its runs waiting."""
    env_file = tmp_path_factory.mktemp("project") / ".env"
    env_file.write_text(f"DBT_CLOUD_JOB_ID={SYNTHETIC}\n")
    emulator = {"environment": {"DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS": str(SYNTHETIC_SECONDS)}}
    with running_project(env_file=env_file, extra_compose={"services": {"dbt-cloud-emulator": emulator}}) as project:
        yield project


@pytest.fixture(scope="module")
def emulator(dbt_cloud) -> EmulatorControl:
    return EmulatorControl(dbt_cloud.base, dbt_cloud.session.verify)


@dataclass
class Underway:
    """A DAG run whose dbt Cloud runs are in progress: task_id -> dbt Cloud run id of its first try."""

    dag_id: str
    dag_run_id: str
    runs: dict[str, int]


def start_runs(airflow: AirflowRest, dag_id: str) -> Underway:
    """Trigger the DAG; return once every run is triggered and every waiting task waits (a deferred one in a triggerer)."""
    return runs_underway(airflow, dag_id, airflow.trigger(dag_id))


def runs_underway(airflow: AirflowRest, dag_id: str, dag_run_id: str) -> Underway:
    """The DAG run once every run is triggered and every waiting task waits (a deferred one in a triggerer)."""
    runs = {task_id: int(wait_until(f"{dag_id}.{task_id}'s dbt Cloud run", lambda task_id=task_id: airflow.xcom(
        dag_id, dag_run_id, task_id, "job_run_id"), timeout=300, every=2)) for task_id in TRIGGERING[dag_id]}
    for task_id, state in WAITING[dag_id].items():
        wait_until(f"{dag_id}.{task_id} to be {state}", lambda task_id=task_id, state=state: waiting(
            airflow.task_instance(dag_id, dag_run_id, task_id), state), timeout=300, every=2)
    return Underway(dag_id, dag_run_id, runs)


def waiting(ti: dict, state: str) -> bool:
    return ti["state"] == state and (state != "deferred" or triggerer_of(ti) is not None)


def triggerer_of(ti: dict) -> int | None:
    return (ti.get("trigger") or {}).get("triggerer_id")


def task_runs(dbt_cloud, underway: Underway, task_id: str) -> list[dict]:
    return runs_of_task(dbt_cloud, SYNTHETIC, underway.dag_id, underway.dag_run_id, task_id)


def one_successful_run_per_task(dbt_cloud, underway: list[Underway]) -> tuple[list[str], list[str]]:
    """Each triggering task's runs in the emulator, described, and a problem for each task whose runs are
    not the run its first try started, alone and ended in success."""
    seen, problems = [], []
    for run in underway:
        for task_id in TRIGGERING[run.dag_id]:
            found = task_runs(dbt_cloud, run, task_id)
            seen.append(f"{run.dag_id}.{task_id}: {described(found)}")
            if [(r["id"], r["status"]) for r in found] != [(run.runs[task_id], SUCCESS)]:
                problems.append(f"{run.dag_id}.{task_id} ({run.dag_run_id}): expected run #{run.runs[task_id]} alone, "
                                f"succeeded: {described(found)}")
    return seen, problems


def kill_and_start(astro_project, service: str) -> float:
    """`docker kill` the service's container, then `docker start` it; returns when it was killed (monotonic)."""
    killed = time.monotonic()
    astro_project.kill_service(service)
    astro_project.start_service(service)
    return killed


def release_running_runs(emulator: EmulatorControl, expected: int) -> dict[str, int]:
    """End the waiting synthetic runs in success. A run is waiting once it is Running (the emulator
    enters its wait in the same step); a run still queued would miss the release and wait on."""
    released = emulator.release_synthetic_runs()
    assert released["released"] == expected, f"released {released}, expected {expected} runs"
    return released


def described(runs: list[dict]) -> str:
    return ", ".join(f"#{run['id']} {run['status_humanized']}" for run in runs) or "no run"


@pytest.fixture(scope="module")
def underway(airflow) -> dict[str, Underway]:
    """A sync and a deferrable DAG run, each with its dbt Cloud runs in progress, for the triggerer and scheduler kills."""
    return {dag_id: start_runs(airflow, dag_id) for dag_id in (DEFERRABLE, SYNC)}


def test_a_killed_triggerer_restarted_takes_up_the_deferred_waits(astro_project, airflow, dbt_cloud, underway):
    deferrable = underway[DEFERRABLE]
    before = {task_id: triggerer_of(airflow.task_instance(DEFERRABLE, deferrable.dag_run_id, task_id))
              for task_id in WAITING[DEFERRABLE]}

    killed = kill_and_start(astro_project, "triggerer")

    # The restarted triggerer is a new triggerer job: it takes the waits once the old one's heartbeat is stale.
    for task_id in WAITING[DEFERRABLE]:
        wait_until(f"a new triggerer to take {task_id}'s wait", lambda task_id=task_id: (ti := airflow.task_instance(
            DEFERRABLE, deferrable.dag_run_id, task_id))["state"] == "deferred"
            and triggerer_of(ti) not in (None, before[task_id]), timeout=300, every=2)
    recovered = time.monotonic() - killed
    runs = {task_id: task_runs(dbt_cloud, deferrable, task_id) for task_id in TRIGGERING[DEFERRABLE]}
    REPORT.append(f"triggerer killed and started: its waits taken again after {recovered:.0f} s "
                  f"(triggerer {before['run_job_deferrable']} -> a new one); "
                  + "; ".join(f"{task_id}: {described(found)}" for task_id, found in runs.items()))
    for task_id, found in runs.items():
        assert [run["id"] for run in found] == [deferrable.runs[task_id]], f"{task_id}: {described(found)}"
        assert found[0]["status"] in IN_PROGRESS


def test_a_killed_scheduler_restarted_retries_its_task_which_reattaches_to_its_run(astro_project, airflow, dbt_cloud,
                                                                                   underway):
    sync = underway[SYNC]
    [(task_id, run_id)] = sync.runs.items()

    killed = kill_and_start(astro_project, "scheduler")  # LocalExecutor: the task's process dies with it

    wait_until(f"{task_id}'s try 2 to run", lambda: (ti := airflow.task_instance(SYNC, sync.dag_run_id, task_id))
               ["try_number"] == 2 and ti["state"] == "running", timeout=SCHEDULER_RECOVERY_TIMEOUT, every=5)
    reattached = wait_until("try 2's run id", lambda: airflow.xcom(SYNC, sync.dag_run_id, task_id, "job_run_id"),
                            timeout=120, every=2)
    recovered = time.monotonic() - killed
    found = task_runs(dbt_cloud, sync, task_id)
    REPORT.append(f"scheduler killed and started: {task_id} re-attached to run #{reattached} in try 2 after "
                  f"{recovered:.0f} s; its runs: {described(found)}")
    assert int(reattached) == run_id
    assert [run["id"] for run in found] == [run_id]
    assert found[0]["status"] in IN_PROGRESS


def test_released_runs_end_in_success_and_so_do_their_tasks_one_run_each(airflow, dbt_cloud, emulator, underway):
    released = release_running_runs(emulator, expected=sum(map(len, TRIGGERING.values())))
    states = airflow.wait_finished({dag_id: run.dag_run_id for dag_id, run in underway.items()}, timeout=300)
    lines, problems = one_successful_run_per_task(dbt_cloud, list(underway.values()))
    for dag_id, run in underway.items():
        task_states = {ti["task_id"]: ti["state"] for ti in airflow.task_instances(dag_id, run.dag_run_id)}
        if states[dag_id] != "success" or set(task_states.values()) != {"success"}:
            problems.append(f"{dag_id} ended {states[dag_id]}: {task_states}")
    REPORT.append(f"released {released['released']} waiting runs in success: DAG runs {states}")
    REPORT.extend(f"  {line}" for line in lines)
    assert not problems, "\n".join(problems)


def test_a_killed_emulator_restarted_keeps_its_runs_and_ends_the_lost_ones_in_error(astro_project, airflow, dbt_cloud,
                                                                                    emulator):
    underway = {dag_id: start_runs(airflow, dag_id) for dag_id in (SYNC, DEFERRABLE)}
    before = {run["id"]: run for run in dbt_cloud.runs(SYNTHETIC)}
    in_progress = {run_id for run_id, run in before.items() if run["status"] in IN_PROGRESS}
    assert in_progress == {run_id for run in underway.values() for run_id in run.runs.values()}

    killed = kill_and_start(astro_project, "dbt-cloud-emulator")
    after = wait_until("the emulator to answer again", lambda: _runs_or_none(dbt_cloud), timeout=180, every=2)
    back = time.monotonic() - killed
    after = {run["id"]: run for run in after}

    # Nothing lost: every run is still there; finished ones as they were, the lost ones in error, saying why.
    assert before.keys() <= after.keys(), f"runs lost in the restart: {sorted(before.keys() - after.keys())}"
    for run_id, run in before.items():
        if run_id in in_progress:
            ended = dbt_cloud.run(run_id)
            assert ended["status"] == ERROR and RESTARTED_RUN in ended["status_message"], ended
            assert ended["finished_at"] and ended["run_steps"][-1]["status"] == ERROR, ended
        else:
            assert {k: after[run_id][k] for k in ("status", "finished_at")} == {k: run[k] for k in ("status", "finished_at")}

    # Each operator's try 1 fails with its run (the true end); try 2 needs a run of its own.
    operators = [(underway[SYNC], "run_dbt_cloud_job"), (underway[DEFERRABLE], "run_job_deferrable")]
    for run, task_id in operators:  # released once try 2 waits on it, in its own form (sync, deferred)
        state = WAITING[run.dag_id][task_id]
        wait_until(f"{run.dag_id}.{task_id}'s try 2 to be {state} on a run of its own", lambda run=run, task_id=task_id,
                   state=state: (ti := airflow.task_instance(run.dag_id, run.dag_run_id, task_id))["try_number"] == 2
                   and waiting(ti, state) and [r["status"] for r in task_runs(dbt_cloud, run, task_id)] == [ERROR, RUNNING],
                   timeout=RETRY_TIMEOUT, every=3)
    recovered = time.monotonic() - killed
    released = release_running_runs(emulator, expected=len(operators))
    states = airflow.wait_finished({dag_id: run.dag_run_id for dag_id, run in underway.items()}, timeout=RETRY_TIMEOUT)

    lines, problems = [], []
    for dag_id, run in underway.items():
        tis = {ti["task_id"]: ti for ti in airflow.task_instances(dag_id, run.dag_run_id)}
        for task_id in TRIGGERING[dag_id]:
            found = task_runs(dbt_cloud, run, task_id)
            lines.append(f"  {dag_id}.{task_id}: {tis[task_id]['state']} in try {tis[task_id]['try_number']}; "
                         f"runs {described(found)}")
            if task_id == "trigger_job":  # it does not wait: its one run ended with the emulator
                expected = [ERROR]
            else:  # try 1's run ended with the emulator; try 2's, new, was released in success
                expected = [ERROR, SUCCESS]
            if [r["status"] for r in found] != expected or found[0]["id"] != run.runs[task_id]:
                problems.append(f"{dag_id}.{task_id}: expected run #{run.runs[task_id]} then a new one, "
                                f"ending {expected}: got {described(found)}")
            if any(r["id"] <= max(before) for r in found[1:]):
                problems.append(f"{dag_id}.{task_id}: a run after the restart reuses an id: {described(found)}")
            if [r["trigger"]["cause"].count(f", try {n}.") for n, r in enumerate(found, 1)] != [1] * len(found):
                problems.append(f"{dag_id}.{task_id}: not one run per try: {[r['trigger']['cause'] for r in found]}")
            if task_id != "trigger_job" and tis[task_id]["try_number"] != 2:  # try 1 failed with its run, try 2 succeeded
                problems.append(f"{dag_id}.{task_id} ended in try {tis[task_id]['try_number']}, not 2:\n"
                                + tries_logs(airflow, run, tis[task_id]))
        expected_states = ({"run_dbt_cloud_job": "success"} if dag_id == SYNC else
                           {"run_job_deferrable": "success", "trigger_job": "success", "wait_for_job": "failed"})
        if {task_id: ti["state"] for task_id, ti in tis.items()} != expected_states:
            problems.append(f"{dag_id}: tasks {({t: ti['state'] for t, ti in tis.items()})}, expected {expected_states}")
    REPORT.append(f"emulator killed and started: answering after {back:.0f} s with every run kept "
                  f"({len(before)} runs; {len(in_progress)} in progress ended in error, saying why); "
                  f"each operator's try 2 ran anew after {recovered:.0f} s; released {released['released']}; "
                  f"DAG runs {states}")
    REPORT.extend(lines)
    assert not problems, "\n".join(problems)


def tries_logs(airflow: AirflowRest, run: Underway, ti: dict) -> str:
    """The last lines of each try's log, to say why a task needed the tries it took."""
    return "\n".join(f"  try {n}:\n    " + "\n    ".join(line[:300] for line in airflow.task_log(
        run.dag_id, run.dag_run_id, ti, n) if "is deprecated" not in line)[-3000:] for n in range(1, ti["try_number"] + 1))


def _runs_or_none(dbt_cloud) -> list[dict] | None:
    try:
        return dbt_cloud.runs(SYNTHETIC)
    except Exception:  # connection refused, or TLS before its server is up
        return None


def test_astro_dev_kill_leaves_no_container_network_or_volume(astro_project):
    assert killed_leaving_nothing(astro_project)
