"""Distributed: task starts with two Celery workers against one, and a killed worker's sync task re-attached.

In the stack of `make test-distributed` (docker_stack/celery-distributed.compose.yml: CeleryExecutor,
two workers of concurrency 8, two schedulers, two triggerers), started by its harness
(tests/docker/distributed) on the machine's Docker engine (started here if none answers, stopped at
the end), the DAGs running the emulator's synthetic job, whose runs wait until released:
- task starts: DAG_RUNS runs of dbt_cloud_deferrable triggered at once, 3 short tasks each
  (run_job_deferrable triggers its run and defers; trigger_job triggers and returns; then
  wait_for_job defers), with one worker running (the other `docker stop`ped) and with both, in
  rounds that alternate (1, 2, 1, 2 workers) so neither gains from going second, after a warm-up
  round with both, not counted (the stack's first round was the slowest, at either count). A round's tasks
  started per second = its tasks / (the last one's start_date - the first one's queued_when), from
  the REST API's task instances; also the wait from queued to running (p50, max) and the tasks per
  worker. Then the runs are released, and every DAG run must succeed with one dbt Cloud run per
  triggering task, each a success, before the next round.
- worker kill: TASKS_PER_KILL runs of dbt_cloud_run_job started while one worker runs (so each sync
  task runs there), the other worker started again, then `docker kill` of the first. Per task, from
  the kill: its try failed (the try's end_date, once its heartbeat is older than
  task_instance_heartbeat_timeout), its next try running on the other worker (start_date), and that
  try re-attached to the same dbt Cloud run (its job_run_id XCom seen, polled every 2 s); then the
  runs are released and each must be the task's only run, a success. KILLS times, each worker in turn.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from bench.machine import load_average
from docker_stack.airflow_settings import token
from docker_stack.base_images import ensure_base_images
from docker_stack.engine import DockerEngine, DockerUnavailable, docker
from local_runner.config import PROJECT_ROOT

# The emulator's control client, loaded by module name as tests/conftest.py does (it needs the standard library only).
sys.path.append(str(PROJECT_ROOT / "emulator" / "src"))
from dbt_cloud_emulator.pytest_plugin import EmulatorControl  # noqa: E402
from tests.docker.airflow_rest import AirflowRest  # noqa: E402
from tests.docker.distributed.services import WORKERS, running_distributed_stack, service_of  # noqa: E402
from tests.docker.distributed.test_celery_workers import WORKER_LOSS_RECOVERY_TIMEOUT  # noqa: E402
from tests.docker.soak.test_container_kills import (DEFERRABLE, SYNC, SYNTHETIC, TRIGGERING, WAITING,  # noqa: E402
                                                    described, runs_underway, task_runs)
from tests.docker.stack import emulator_api  # noqa: E402
from tests.polling import SUCCESS, wait_until  # noqa: E402
from tests.reliability.dbt_runs import tag_of  # noqa: E402

DAG_RUNS = 12  # a round's task starts: 3 per run of dbt_cloud_deferrable (max_active_runs_per_dag is 16)
ROUNDS = (1, 2, 1, 2)  # workers running in each measured round, after a warm-up round with both
STARTED = {**WAITING[DEFERRABLE], "trigger_job": "success"}  # a round's tasks once each has started and deferred or ended
KILLS = 2
TASKS_PER_KILL = 3
STARTS_TIMEOUT = 600
FINISH_TIMEOUT = 600
WORKER_READY_TIMEOUT = 180
QUICK_REASON = ("left out of --quick: it builds and starts the distributed Docker stack (minutes); "
                "`python -m bench --only distributed` runs it")


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def _p50_max(values: list[float | None]) -> dict:
    known = [value for value in values if value is not None]
    return {"p50": round(statistics.median(known), 1), "max": round(max(known), 1), "samples": len(known)}


def _seconds_after(timestamp: str | None, moment: float) -> float | None:
    return round(_epoch(timestamp) - moment, 1) if timestamp else None


def _is_running(project, service: str) -> bool:
    return docker("inspect", "--format", "{{.State.Running}}", project.container(service)).stdout.strip() == "true"


def _run_workers(project, running: tuple[str, ...]) -> None:
    """Exactly these workers running: the others stopped (SIGTERM; none has a task), these started and
    ready (Celery's `<hostname> ready.` in the container's log since its start)."""
    for service in WORKERS:
        if service not in running and _is_running(project, service):
            project.stop_service(service, 30).wait(timeout=120)
        if service in running and not _is_running(project, service):
            since = str(int(time.time()) - 1)
            project.start_service(service)
            wait_until(f"{service} to be ready", lambda service=service: " ready." in docker(
                "logs", "--since", since, project.container(service)).stdout, timeout=WORKER_READY_TIMEOUT, every=2)


def _release(emulator, expected: int) -> int:
    """End the waiting synthetic runs in success, until `expected` were (a run still queued misses a release)."""
    released = 0

    def all_released() -> bool:
        nonlocal released
        released += emulator.release_synthetic_runs()["released"]
        return released >= expected

    wait_until(f"{expected} synthetic runs to be released", all_released, timeout=120, every=2)
    return released


def _runs_per_task(dbt_cloud, dag_run_ids: list[str], before: set[int]) -> dict[str, list[dict]]:
    """The synthetic runs created since `before`, by the key of the task that triggered them."""
    tags = {tag_of(SimpleNamespace(dag_id=DEFERRABLE, run_id=run_id), task_id): f"{run_id}.{task_id}"
            for run_id in dag_run_ids for task_id in TRIGGERING[DEFERRABLE]}
    found: dict[str, list[dict]] = {key: [] for key in tags.values()}
    for run in dbt_cloud.runs(SYNTHETIC):
        if run["id"] not in before:
            full = dbt_cloud.run(run["id"])
            key = next((key for tag, key in tags.items() if tag in full["trigger"]["cause"]), "(no task's key)")
            found.setdefault(key, []).append(full)
    return found


def _starts_round(project, airflow: AirflowRest, emulator, dbt_cloud, workers: int) -> dict:
    _run_workers(project, WORKERS[:workers])
    load = load_average()
    before = {run["id"] for run in dbt_cloud.runs(SYNTHETIC)}
    dag_run_ids = [airflow.trigger(DEFERRABLE) for _ in range(DAG_RUNS)]

    def started() -> list[dict] | None:
        tis = [ti for run_id in dag_run_ids for ti in airflow.task_instances(DEFERRABLE, run_id)]
        done = [ti for ti in tis if STARTED.get(ti["task_id"]) == ti["state"]]
        return done if len(done) == DAG_RUNS * len(STARTED) else None

    tis = wait_until(f"{DAG_RUNS * len(STARTED)} tasks of dbt_cloud_deferrable to start", started,
                     timeout=STARTS_TIMEOUT, every=2)
    first_queued = min(_epoch(ti["queued_when"]) for ti in tis)
    last_start = max(_epoch(ti["start_date"]) for ti in tis)
    waits = [_epoch(ti["start_date"]) - _epoch(ti["queued_when"]) for ti in tis]
    hosts = sorted(service_of(project, ti["hostname"], WORKERS) for ti in tis)
    load_after = load_average()

    released = _release(emulator, DAG_RUNS * len(TRIGGERING[DEFERRABLE]))
    states = {run_id: airflow.wait_finished({DEFERRABLE: run_id}, FINISH_TIMEOUT)[DEFERRABLE] for run_id in dag_run_ids}
    runs = _runs_per_task(dbt_cloud, dag_run_ids, before)
    wrong = {key: described(found) for key, found in runs.items() if [r["status"] for r in found] != [SUCCESS]}
    if wrong or set(states.values()) != {"success"}:
        raise RuntimeError(f"{workers} worker(s): DAG runs {sorted(states.values())}; tasks whose runs are not one "
                           f"success: {wrong}")
    print(f"==> bench: distributed: {workers} worker(s): {len(tis)} tasks started in {last_start - first_queued:.1f} s "
          f"(load average {load_after})", flush=True)
    return {"workers": workers, "tasks": len(tis), "seconds": round(last_start - first_queued, 1),
            "tasks_started_per_s": round(len(tis) / (last_start - first_queued), 2),
            "queued_to_running_s": _p50_max(waits), "tasks_per_worker": {w: hosts.count(w) for w in WORKERS},
            "dbt_runs_released": released, "load_average_before": load, "load_average_after": load_after}


def _kill(project, airflow: AirflowRest, emulator, dbt_cloud, killed: str) -> dict:
    other = next(service for service in WORKERS if service != killed)
    _run_workers(project, (killed,))
    underway = [runs_underway(airflow, SYNC, dag_run_id) for dag_run_id in
                [airflow.trigger(SYNC) for _ in range(TASKS_PER_KILL)]]
    _run_workers(project, WORKERS)
    load = load_average()
    [task_id] = TRIGGERING[SYNC]
    first = {run.dag_run_id: airflow.task_instance(SYNC, run.dag_run_id, task_id) for run in underway}
    if hosts := {service_of(project, ti["hostname"], WORKERS) for ti in first.values()} - {killed}:
        raise RuntimeError(f"sync tasks ran on {hosts} while only {killed} was running")

    killed_at = time.time()
    project.kill_service(killed)
    reattached: dict[str, float] = {}

    def all_reattached() -> bool:
        for run in underway:
            if run.dag_run_id in reattached:
                continue
            ti = airflow.task_instance(SYNC, run.dag_run_id, task_id)
            if ti["try_number"] > first[run.dag_run_id]["try_number"] and ti["state"] == "running" and airflow.xcom(
                    SYNC, run.dag_run_id, task_id, "job_run_id") is not None:
                reattached[run.dag_run_id] = time.time() - killed_at
        return len(reattached) == len(underway)

    wait_until(f"the {len(underway)} sync tasks of {killed} to re-attach on {other}", all_reattached,
               timeout=WORKER_LOSS_RECOVERY_TIMEOUT, every=2)
    project.start_service(killed)
    tasks = []
    for run in underway:
        tries = {t["try_number"]: t for t in airflow.task_tries(SYNC, run.dag_run_id, task_id)}
        lost, retry = tries[first[run.dag_run_id]["try_number"]], tries[max(tries)]
        run_id = int(airflow.xcom(SYNC, run.dag_run_id, task_id, "job_run_id"))
        tasks.append({"dag_run_id": run.dag_run_id, "dbt_run_id": run.runs[task_id], "reattached_to": run_id,
                      "try_failed_s": _seconds_after(lost["end_date"], killed_at),
                      "next_try_running_s": _seconds_after(retry["start_date"], killed_at),
                      "reattached_s": round(reattached[run.dag_run_id], 1),
                      "next_try_on": service_of(project, retry["hostname"], WORKERS)})
    _release(emulator, len(underway))
    for run, task in zip(underway, tasks):
        state = airflow.wait_finished({SYNC: run.dag_run_id}, FINISH_TIMEOUT)[SYNC]
        found = task_runs(dbt_cloud, run, task_id)
        task.update(dag_run_state=state, dbt_runs=described(found))
        if task["reattached_to"] != run.runs[task_id] or [(r["id"], r["status"]) for r in found] != [
                (run.runs[task_id], SUCCESS)] or state != "success" or task["next_try_on"] != other:
            raise RuntimeError(f"{killed} killed: a task did not re-attach to its only run on {other}: {task}")
    print(f"==> bench: distributed: {killed} killed: {tasks}", flush=True)
    return {"killed": killed, "load_average_before": load, "tasks": tasks}


def _measure(where: Path) -> dict:
    started = time.monotonic()
    base_images = ensure_base_images()
    with running_distributed_stack(where / ".env") as project:
        stack_seconds = round(time.monotonic() - started, 1)
        airflow = AirflowRest(project.url, token(project.url))
        dbt_cloud = emulator_api(project, where)
        emulator = EmulatorControl(dbt_cloud.base, dbt_cloud.session.verify)
        airflow.wait_for_dags({DEFERRABLE, SYNC})
        warm_up = _starts_round(project, airflow, emulator, dbt_cloud, len(WORKERS))
        rounds = [_starts_round(project, airflow, emulator, dbt_cloud, workers) for workers in ROUNDS]
        kills = [_kill(project, airflow, emulator, dbt_cloud, WORKERS[i % len(WORKERS)]) for i in range(KILLS)]
    per_workers = {workers: [r["tasks_started_per_s"] for r in rounds if r["workers"] == workers] for workers in set(ROUNDS)}
    mean = {workers: round(statistics.mean(rates), 2) for workers, rates in per_workers.items()}
    samples = [task for kill in kills for task in kill["tasks"]]
    return {"base_images_used": base_images, "stack_start_seconds": stack_seconds,
            "task_starts": {"warm_up": warm_up, "rounds": rounds, "tasks_started_per_s_mean": {f"{w}_worker{'s' * (w > 1)}": mean[w] for w in sorted(mean)},
                            "two_over_one": round(mean[2] / mean[1], 2)},
            "worker_kill": {"kills": kills, "samples": len(samples),
                            **{key: _p50_max([task[key] for task in samples])
                               for key in ("try_failed_s", "next_try_running_s", "reattached_s")}}}


def run(where: Path, quick: bool = False) -> dict:
    if quick:
        print(f"==> bench: distributed {QUICK_REASON}", flush=True)
        return {"not_run": QUICK_REASON}
    where.mkdir(parents=True, exist_ok=True)
    engine = DockerEngine(PROJECT_ROOT / ".state" / "docker")
    try:
        engine.ensure()
    except DockerUnavailable as absent:
        return {"not_run": f"no Docker engine: {absent}"}
    try:
        measured = _measure(where)
    finally:
        engine.stop()
    return {"method": __doc__.split("\n\n", 1)[1].strip(), **measured}
