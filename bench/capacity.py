"""Capacity: N dbt Cloud runs in flight at once, each watched by a mapped ResilientDbtCloudRunJobOperator task.

Runs a local stack (local_runner.stack on free ports, one triggerer, the runner's LocalExecutor)
with the bench DAG bench/dags/bench_capacity.py and the emulator's synthetic job 999 (steps only
wait; no dbt, no run slot). The synthetic runs wait until the bench has seen what it measures,
then it ends them all at once: 1 in 20 is cancelled through the API and 1 in 20 released in error
(POST /_emulator/synthetic/release), the rest in success. So "every run ends in its true state"
is checked on success, error and cancelled runs: the dbt Cloud run's status in the emulator and
the Airflow task's state.

First the sync form (template_sync settings), at N = the stack's parallelism: every task holds a
worker slot while it waits. Then the deferrable form (template_deferrable settings) in stages:
DAG runs adding tasks until 50, 200, 500, then 1,000 runs are in flight together (1,000: the triggerer's
default capacity), with the emulator enforcing dbt Cloud's 5,000 requests a minute per account
(the deferred waits share the triggerer's status board; the 429s answered are counted). Starting a task
(and resuming it when its run ends) costs a worker a task process, so task starts, not the
triggerer, set how long this takes.

Every SAMPLE_SECONDS: task instance counts by state (REST API), runs in flight (emulator API),
the emulator's request counter, and the RSS of the triggerer's process tree. A stage's plateau starts
when all its runs are in flight and every task waits (deferred, or running in the sync form) and
lasts plateau_seconds; "worker slots held while waiting" is the most task instances in the
running state seen on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus as Status

from bench import emulators, local_stack
from bench.template_settings import operator_settings
from local_runner import airflow
from local_runner.config import LocalConfig
from local_runner.demo_tenant import ACCOUNT_ID, SYNTHETIC_JOB_ID

DAG_ID = "bench_capacity"
SAMPLE_SECONDS = 2.0
HELD_SECONDS = 3600  # synthetic runs wait this long unless released, which the bench does when it has measured
STAGE_SECONDS_PER_TASK = 2.0  # a stage (or the wind-down) that starts tasks slower than this has stalled
LIVE_STATES = ("scheduled", "queued", "running", "deferred")
RUN_STATUS_NAMES = {Status.SUCCESS.value: "success", Status.ERROR.value: "error", Status.CANCELLED.value: "cancelled"}
IN_PROGRESS = Status.NON_TERMINAL_STATUSES.value
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
    """One emulator life: the planned outcome of every run, and what was seen."""

    label: str
    operator: dict
    stages: list[int]
    plateau_seconds: float
    planned: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    dag_run_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.planned = outcomes(self.stages[-1])

    def runs(self, start: int, stop: int) -> list[dict]:
        return [{"trigger_reason": f"bench capacity {self.label} #{index}: expect {self.planned[index]}"}
                for index in range(start, stop)]


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
        response = self.api.get(f"{self.emulator.url}/api/v2/accounts/{self.emulator.account_id}/runs/", timeout=60,
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
        return self._runs_page(status__in=str(list(IN_PROGRESS)), limit=1)["extra"]["pagination"]["total_count"]

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
    conf = {"operator": {**experiment.operator, "job_id": SYNTHETIC_JOB_ID, "account_id": ACCOUNT_ID},
            "runs": experiment.runs(start, stop)}
    response = session.post(f"{base}/dagRuns", json={"logical_date": None, "conf": conf}, timeout=30)
    response.raise_for_status()
    return response.json()["dag_run_id"]


def _all_waiting(sample: dict, n: int, deferrable: bool) -> bool:
    """All n runs in flight and every task waiting in its form's way: deferred, or running in a slot."""
    return sample["in_flight"] >= n and sample["deferred" if deferrable else "running"] >= n


def _wait_for(probe: Probe, experiment: Experiment, done, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        experiment.samples.append(sample := probe.sample())
        if done(sample):
            return
        time.sleep(SAMPLE_SECONDS)


def run_experiment(cfg: LocalConfig, session: requests.Session, experiment: Experiment) -> dict:
    emulator = emulators.BenchEmulator(cfg)
    probe = Probe(cfg, session, emulator)
    idle = probe.sample()
    started = time.time()
    stages, triggered = [], 0
    for n in experiment.stages:
        experiment.dag_run_ids.append(_trigger(cfg, session, experiment, triggered, n))
        added, triggered, stage_started, plateau = n - triggered, n, time.time(), []

        def plateau_long_enough(sample: dict, n: int = n) -> bool:
            # From the first sample with every task waiting, every sample counts (a slot taken later shows).
            if plateau or _all_waiting(sample, n, experiment.operator["deferrable"]):
                plateau.append(sample)
            return bool(plateau) and sample["t"] - plateau[0]["t"] >= experiment.plateau_seconds

        _wait_for(probe, experiment, plateau_long_enough, STAGE_SECONDS_PER_TASK * added + 120)
        stages.append(_stage_summary(n, added, plateau, stage_started, idle))
    # What was to be measured is measured: end every run in its planned state.
    runs = probe.runs_by_index(experiment.label)
    for index, run in runs.items():
        if experiment.planned[index] == "cancelled" and run["status"] in IN_PROGRESS:
            emulator.api(probe.api, "POST", f"runs/{run['id']}/cancel/")
    emulator.release_synthetic_runs([run["id"] for index, run in runs.items() if experiment.planned[index] == "error"])
    wind_down_started = time.time()
    _wait_for(probe, experiment, lambda _: all(probe.dag_run_done(d) for d in experiment.dag_run_ids),
              STAGE_SECONDS_PER_TASK * triggered + 300)
    states = {}
    for dag_run_id, first_index in zip(experiment.dag_run_ids, [0, *experiment.stages]):
        states.update(probe.task_states(dag_run_id, first_index))
    summary = _summary(experiment, stages, states, probe.runs_by_index(experiment.label), started)
    limit = emulator.control("GET", "rate-limit")
    summary["rate_limit_per_minute"] = limit["per_minute"]
    summary["answered_429"] = limit["accounts"].get(str(emulator.account_id), {}).get("answered_429", 0)
    summary["seconds_from_release_to_all_tasks_done"] = round(time.time() - wind_down_started, 1)
    return summary


def _stage_summary(n: int, added: int, plateau: list[dict], stage_started: float, idle: dict) -> dict:
    rate = None
    if len(plateau) >= 2:
        rate = (plateau[-1]["requests"] - plateau[0]["requests"]) / (plateau[-1]["t"] - plateau[0]["t"])
    return {
        "n": n,
        "reached": bool(plateau),
        "seconds_to_all_waiting": round(plateau[0]["t"] - stage_started, 1) if plateau else None,
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
        "planned": {outcome: experiment.planned.count(outcome) for outcome in sorted(set(experiment.planned))},
        "stages": stages,
        "all_runs_in_true_state": not mismatches, "mismatches": mismatches[:20],
        "wall_seconds": round(time.time() - started, 1),
        "samples": experiment.samples,
    }


def run(workdir, ns: list[int], parallelism: int, plateau_seconds: float = 20.0) -> dict:
    """The sync form at N = parallelism, then the deferrable form staged to each N in `ns`."""
    with local_stack.running(workdir, parallelism=parallelism, synthetic_seconds=HELD_SECONDS) as cfg:
        session = airflow.api_session(cfg)
        sync = run_experiment(cfg, session, Experiment(
            "sync", operator_settings("template_sync"), [parallelism], plateau_seconds=plateau_seconds))
        deferrable = run_experiment(cfg, session, Experiment(
            "deferrable", operator_settings("template_deferrable"), ns, plateau_seconds=plateau_seconds))
    return {"parallelism": parallelism, "sync": sync, "deferrable": deferrable}
