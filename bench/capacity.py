"""Capacity: N dbt Cloud runs in flight at once, each watched by a mapped DbtCloudRunJobOperator task.

Runs a local stack (local_runner.stack on free ports, one triggerer, the runner's LocalExecutor)
with the bench DAG bench/dags/bench_capacity.py and the emulator's synthetic job 999 (steps only
wait; no dbt, no run slot). About 1 run in 20 ends in error (a run timeout shorter than the
synthetic wait) and 1 in 20 is cancelled through the API while in flight, so "every run ends in
its true state" is checked on success, error and cancelled runs: the dbt Cloud run's status in
the emulator and the Airflow task's state.

First the sync form (template_sync settings), at N = the stack's parallelism: every task holds a
worker slot while it waits. Then the deferrable form (template_deferrable settings) in stages:
DAG runs adding tasks until 50, then 200, then 500 runs are in flight together (one emulator
life, so the synthetic runs must outlast the whole ramp: their length is sized from how fast the
sync form started its tasks). Starting a task costs about a CPU-second on a worker (the task
process parses the DAG file, which imports the provider), so the ramp, not the triggerer, sets
how long this takes.

Every SAMPLE_SECONDS: task instance counts by state (REST API), runs in flight (emulator API),
the emulator's request counter, and the RSS of the triggerer's process tree. A stage's plateau is
while all its runs are in flight and every task has started (none scheduled or queued); "worker
slots held while waiting" is the most task instances in the running state seen on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests

from bench import emulators, local_stack
from bench.template_settings import operator_settings
from local_runner import airflow
from local_runner.config import LocalConfig

DAG_ID = "bench_capacity"
SYNTHETIC_JOB_ID = 999
SAMPLE_SECONDS = 2.0
LIVE_STATES = ("scheduled", "queued", "running", "deferred")
RUN_STATUS_NAMES = {10: "success", 20: "error", 30: "cancelled"}
EXPECTED_TASK_STATE = {"success": "success", "error": "failed", "cancelled": "failed"}


def outcomes(n: int) -> list[str]:
    """Per block of 20 runs (or of n, when smaller): one ends in error, one is cancelled, the rest succeed."""
    block = min(20, n)
    chosen = []
    for index in range(n):
        position = index % block
        chosen.append("error" if n >= 3 and position == block // 2 else
                      "cancelled" if n >= 3 and position == block - 1 else "success")
    return chosen


@dataclass
class Experiment:
    """One emulator life: the synthetic run length, the planned outcome of every run, what was seen."""

    label: str
    operator: dict
    stages: list[int]
    synthetic_seconds: float
    error_timeout: int
    plateau_seconds: float
    planned: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    dag_run_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.planned = outcomes(self.stages[-1])

    def runs(self, start: int, stop: int) -> list[dict]:
        runs = []
        for index in range(start, stop):
            run = {"trigger_reason": f"bench capacity {self.label} #{index}: expect {self.planned[index]}"}
            if self.planned[index] == "error":
                run["additional_run_config"] = {"timeout_seconds_override": self.error_timeout}
            runs.append(run)
        return runs


class Probe:
    """Reads the stack's and the emulator's state."""

    def __init__(self, cfg: LocalConfig, session: requests.Session, emulator: emulators.BenchEmulator):
        self.cfg, self.session, self.emulator = cfg, session, emulator
        self.api = emulator.session()

    def _airflow(self, path: str, **params) -> dict:
        response = self.session.get(f"{self.cfg.airflow_url}/api/v2/dags/{DAG_ID}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def _runs_page(self, **params) -> dict:
        response = self.api.get(f"{self.emulator.url}/api/v2/accounts/{emulators.ACCOUNT_ID}/runs/", timeout=60,
                                params={"job_definition_id": SYNTHETIC_JOB_ID, **params})
        response.raise_for_status()
        return response.json()

    def live_task_counts(self) -> dict[str, int]:
        return {state: self._airflow("/dagRuns/~/taskInstances", task_id="run_job", state=state, limit=1)["total_entries"]
                for state in LIVE_STATES}

    def dag_run_done(self, dag_run_id: str) -> bool:
        return self._airflow(f"/dagRuns/{dag_run_id}")["state"] in ("success", "failed")

    def task_states(self, dag_run_id: str, first_index: int) -> dict[int, str]:
        """Task state by run index (a stage's DAG run maps its runs from map index 0)."""
        states, offset = {}, 0
        while True:
            page = self._airflow(f"/dagRuns/{dag_run_id}/taskInstances", task_id="run_job", limit=100, offset=offset)
            states.update({first_index + ti["map_index"]: ti["state"] for ti in page["task_instances"]})
            offset += 100
            if offset >= page["total_entries"]:
                return states

    def in_flight(self) -> int:
        return self._runs_page(status__in="[1,2,3]", limit=1)["extra"]["pagination"]["total_count"]

    def runs_by_index(self, label: str) -> dict[int, dict]:
        """The experiment's dbt Cloud runs by index (read from each run's cause)."""
        runs, offset, prefix = {}, 0, f"bench capacity {label} #"
        while True:
            page = self._runs_page(include_related="trigger", limit=100, offset=offset, order_by="id")
            for run in page["data"]:
                cause = run["trigger"]["cause"]
                if cause.startswith(prefix):
                    runs[int(cause[len(prefix):].split(":")[0])] = run
            offset += 100
            if offset >= page["extra"]["pagination"]["total_count"]:
                return runs

    def sample(self) -> dict:
        triggerer = local_stack.component_pid(self.cfg, "triggerer")
        return {"t": round(time.time(), 2), **self.live_task_counts(), "in_flight": self.in_flight(),
                "requests": self.emulator.stats()["total"],
                "triggerer_rss_mb": round(local_stack.tree_rss_bytes(triggerer) / 2**20, 1) if triggerer else None}


def _trigger(cfg: LocalConfig, session: requests.Session, experiment: Experiment, start: int, stop: int) -> str:
    base = f"{cfg.airflow_url}/api/v2/dags/{DAG_ID}"
    deadline = time.monotonic() + 120
    while session.get(base, timeout=10).status_code == 404:
        if time.monotonic() > deadline:
            raise RuntimeError(f"The stack has not loaded {DAG_ID} from bench/dags/ within 2 minutes.")
        time.sleep(1)
    session.patch(base, json={"is_paused": False}, timeout=10).raise_for_status()
    conf = {"operator": experiment.operator, "runs": experiment.runs(start, stop)}
    response = session.post(f"{base}/dagRuns", json={"logical_date": None, "conf": conf}, timeout=30)
    response.raise_for_status()
    return response.json()["dag_run_id"]


def _all_started(sample: dict, n: int) -> bool:
    return sample["in_flight"] >= n and sample["scheduled"] == 0 and sample["queued"] == 0


def run_experiment(cfg: LocalConfig, session: requests.Session, experiment: Experiment) -> dict:
    emulator = local_stack.restart_emulator(cfg, synthetic_seconds=experiment.synthetic_seconds)
    probe = Probe(cfg, session, emulator)
    idle = probe.sample()
    started = time.time()
    stages, triggered, first_run_at = [], 0, None
    for n in experiment.stages:
        experiment.dag_run_ids.append(_trigger(cfg, session, experiment, triggered, n))
        triggered, stage_started, plateau = n, time.time(), []
        # Until the first runs end (their clock starts when their task triggers them), or 5 minutes without one.
        while time.time() - (first_run_at or started) < (experiment.error_timeout - 5 if first_run_at else 300):
            sample = probe.sample()
            experiment.samples.append(sample)
            first_run_at = first_run_at or (sample["t"] if sample["in_flight"] else None)
            if _all_started(sample, n):
                plateau.append(sample)
                if sample["t"] - plateau[0]["t"] >= experiment.plateau_seconds:
                    break
            time.sleep(SAMPLE_SECONDS)
        stages.append(_stage_summary(n, n - (stages[-1]["n"] if stages else 0), plateau, stage_started, idle))
    for index, run in probe.runs_by_index(experiment.label).items():
        if experiment.planned[index] == "cancelled" and run["status"] in (1, 2, 3):
            emulator.api(probe.api, "POST", f"runs/{run['id']}/cancel/")
    deadline = time.time() + experiment.synthetic_seconds * 2 + 900
    while time.time() < deadline and not all(probe.dag_run_done(d) for d in experiment.dag_run_ids):
        experiment.samples.append(probe.sample())
        time.sleep(SAMPLE_SECONDS)
    states = {}
    for dag_run_id, first_index in zip(experiment.dag_run_ids, [0, *experiment.stages]):
        states.update(probe.task_states(dag_run_id, first_index))
    return _summary(experiment, stages, states, probe.runs_by_index(experiment.label), started)


def _stage_summary(n: int, added: int, plateau: list[dict], stage_started: float, idle: dict) -> dict:
    rate = None
    if len(plateau) >= 2:
        rate = (plateau[-1]["requests"] - plateau[0]["requests"]) / (plateau[-1]["t"] - plateau[0]["t"])
    return {
        "n": n,
        "reached": bool(plateau),
        "seconds_to_all_started": round(plateau[0]["t"] - stage_started, 1) if plateau else None,
        "tasks_started_per_s": round(added / (plateau[0]["t"] - stage_started), 2) if plateau else None,
        "worker_slots_held_while_waiting": max((s["running"] for s in plateau), default=None),
        "deferred_tasks": max((s["deferred"] for s in plateau), default=None),
        "triggerer_rss_mb_idle": idle["triggerer_rss_mb"],
        "triggerer_rss_mb": max((s["triggerer_rss_mb"] for s in plateau), default=None),
        "emulator_requests_per_s": round(rate, 1) if rate is not None else None,
    }


def _summary(experiment: Experiment, stages: list[dict], states: dict[int, str], runs: dict[int, dict],
             started: float) -> dict:
    mismatches = []
    for index, expected in enumerate(experiment.planned):
        run_status = RUN_STATUS_NAMES.get(runs.get(index, {}).get("status"), "missing")
        task_state = states.get(index, "missing")
        if run_status != expected or task_state != EXPECTED_TASK_STATE[expected]:
            mismatches.append({"index": index, "expected": expected, "dbt_run": run_status, "task": task_state})
    return {
        "label": experiment.label, "operator": experiment.operator,
        "synthetic_seconds": experiment.synthetic_seconds, "error_timeout_seconds": experiment.error_timeout,
        "planned": {outcome: experiment.planned.count(outcome) for outcome in sorted(set(experiment.planned))},
        "stages": stages,
        "all_runs_in_true_state": not mismatches, "mismatches": mismatches[:20],
        "wall_seconds": round(time.time() - started, 1),
        "samples": experiment.samples,
    }


def run(workdir, ns: list[int], parallelism: int, plateau_seconds: float = 20.0, sync_seconds: float = 60.0,
        launch_seconds_floor: float = 0.5) -> dict:
    """The sync form at N = parallelism, then the deferrable form staged to each N in `ns`."""
    with local_stack.running(workdir, parallelism=parallelism, synthetic_seconds=sync_seconds) as cfg:
        session = airflow.api_session(cfg)
        sync = run_experiment(cfg, session, Experiment(
            "sync", operator_settings("template_sync"), [parallelism], synthetic_seconds=sync_seconds,
            error_timeout=int(sync_seconds * 0.75), plateau_seconds=min(plateau_seconds, sync_seconds / 4)))
        # The sync tasks started `parallelism` at a time, after the planning task: seconds per task start.
        took = sync["stages"][0]["seconds_to_all_started"] or sync_seconds
        per_task = max(launch_seconds_floor, took / 2 / parallelism)
        ramp = per_task * ns[-1] * 2 + plateau_seconds * len(ns)  # x2: under load a start can take twice as long
        deferrable = run_experiment(cfg, session, Experiment(
            "deferrable", operator_settings("template_deferrable"), ns, synthetic_seconds=round(ramp + 2 * plateau_seconds + 20),
            error_timeout=int(ramp + plateau_seconds + 20), plateau_seconds=plateau_seconds))
    return {"parallelism": parallelism, "estimated_seconds_per_task_start": round(per_task, 2),
            "sync": sync, "deferrable": deferrable}
