"""Overhead: the Airflow task's duration over the dbt Cloud run's own, and the API requests per run.

Runs the operator itself with dag.test() (bench/overhead_worker.py, one process per measurement,
each with its own migrated SQLite Airflow home) in three modes: the provider's defaults
(check_interval=60, sync), the template's sync settings (dags/dbt_cloud_run_job.py) and the
template's deferrable settings (dags/dbt_cloud_deferrable.py; dag.test() runs the trigger inline).

Two jobs, same modes, same bench run:
- the demo job 111 (real dbt build, ~15 s), the three modes one after another on one emulator
  (one run slot: a dbt run must not queue behind another mode's);
- the synthetic job 999 (steps only wait) set to last just over 60 s, in the template's modes after one
  earlier run of the same length (a deployed job has a history, which the status board reads; the
  provider's mode reads none and starts at once). A sync poller's delay after
  the run ends depends on where the run's end falls between two polls, so each mode runs it at
  `long_seconds` lengths spread evenly over the template's 6 s poll interval (one emulator per
  length, all modes at once; the synthetic job takes no run slot) and the mean is reported.

Requests per run come from the emulator's request log: run-status GETs by run id, plus the trigger.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from bench import emulators
from bench.template_settings import MODE_SOURCES, ROOT
from local_runner import demo_tenant

MODES = tuple(MODE_SOURCES)
DEMO_JOB_ID = demo_tenant.BUILD_ALL_JOB_ID
SYNTHETIC_JOB_ID = demo_tenant.SYNTHETIC_JOB_ID


def migrated_airflow_home(where: Path) -> Path:
    """One `airflow db migrate`; each worker gets a copy of the database."""
    home = where / "airflow-home-template"
    home.mkdir(parents=True)
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return home


def run_worker(where: Path, template_home: Path, emulator: emulators.BenchEmulator, runs: list[dict],
               interval_cap: float | None, not_before: float = 0.0) -> list[dict]:
    home = where / "airflow-home"
    home.mkdir(parents=True)
    shutil.copy(template_home / "airflow.db", home / "airflow.db")
    env = {**os.environ, **emulator.provider_env(), "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "bench" / "dags"), "ASTRO_DOTENV_PATH": os.devnull,
           "PYTHONPATH": str(ROOT)}
    spec = json.dumps({"runs": runs, "interval_cap": interval_cap, "not_before": not_before})
    with open(where / "worker.log", "w") as log:
        done = subprocess.run([sys.executable, "-m", "bench.overhead_worker", spec], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=log, text=True)
    results = [json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or len(results) != len(runs):
        raise RuntimeError(f"The overhead worker failed (exit {done.returncode}); see {where / 'worker.log'}")
    return results


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def measured(result: dict, emulator: emulators.BenchEmulator) -> dict:
    time.sleep(0.5)  # the request log is line-buffered: let the last lines land
    requests_seen = emulator.api_requests()  # before the bench's own read of the run below
    run = emulator.api(emulator.session(), "GET", f"runs/{result['dbt_run_id']}/")
    # From the run's creation: the template operator's look for an earlier run of its task comes before.
    polls = emulators.status_reads(requests_seen, result["dbt_run_id"], _epoch(run["created_at"]), result["task_ended"])
    run_started, run_finished = _epoch(run["started_at"]), _epoch(run["finished_at"])
    run_seconds = run_finished - run_started
    task_seconds = result["task_ended"] - result["task_started"]
    return {
        "mode": result["mode"], "job_id": result["job_id"], "settings": result["settings"],
        "task_state": result["state"], "dbt_run_id": result["dbt_run_id"], "dbt_run_status": run["status_humanized"],
        "dbt_run_seconds": round(run_seconds, 2), "task_seconds": round(task_seconds, 2),
        "ratio": round(task_seconds / run_seconds, 3),
        "task_start_to_run_created": round(_epoch(run["created_at"]) - result["task_started"], 2),
        "run_end_to_task_end": round(result["task_ended"] - run_finished, 2),
        "status_requests": polls, "api_requests": polls + 1,  # + the trigger
        "status_requests_per_5s_of_run": round(polls / (run_seconds / 5), 2),
    }


def _long_job_mode(where: Path, template_home: Path, seconds: float, mode: str, interval_cap: float | None) -> list[dict]:
    with emulators.running(where / "emulator", synthetic_seconds=seconds) as emulator:
        # The job ran before, as a deployed job has (the status board reads how long its runs took): one run
        # of the same length, ended before the measured one starts. The provider reads no history: its mode
        # starts at once (so the section takes one run length less).
        not_before = 0.0
        if MODE_SOURCES[mode] is not None:
            emulator.control("POST", "synthetic/runs", json={"job_id": SYNTHETIC_JOB_ID, "count": 1, "seconds": seconds})
            not_before = time.time() + seconds + 1
        results = run_worker(where, template_home, emulator, [{"mode": mode, "job_id": SYNTHETIC_JOB_ID}], interval_cap,
                             not_before=not_before)
        return [measured(result, emulator) for result in results]


def _long_job(where: Path, template_home: Path, seconds: float, interval_cap: float | None) -> list[dict]:
    with ThreadPoolExecutor(len(MODES)) as pool:
        return [row for rows in pool.map(lambda mode: _long_job_mode(where / mode, template_home, seconds, mode,
                                                                      interval_cap), MODES) for row in rows]


def _demo_job(where: Path, template_home: Path, interval_cap: float | None) -> list[dict]:
    with emulators.running(where / "emulator") as emulator:
        results = run_worker(where / "worker", template_home, emulator,
                             [{"mode": mode, "job_id": DEMO_JOB_ID} for mode in MODES], interval_cap)
        return [measured(result, emulator) for result in results]


def summary(rows: list[dict]) -> list[dict]:
    table = []
    for job_id in sorted({row["job_id"] for row in rows}):
        for mode in MODES:
            mine = [row for row in rows if row["job_id"] == job_id and row["mode"] == mode]
            if not mine:
                continue
            table.append({
                "job_id": job_id, "mode": mode, "check_interval": mine[0]["settings"]["check_interval"],
                "deferrable": mine[0]["settings"]["deferrable"], "samples": len(mine),
                "dbt_run_seconds": round(statistics.mean(r["dbt_run_seconds"] for r in mine), 1),
                "task_seconds": round(statistics.mean(r["task_seconds"] for r in mine), 1),
                "ratio_mean": round(statistics.mean(r["ratio"] for r in mine), 3),
                "ratio_max": max(r["ratio"] for r in mine),
                "api_requests_per_run": round(statistics.mean(r["api_requests"] for r in mine), 1),
                "status_requests_per_run": round(statistics.mean(r["status_requests"] for r in mine), 1),
                "status_requests_per_5s_of_run": round(statistics.mean(r["status_requests_per_5s_of_run"] for r in mine), 2),
                "all_succeeded": all(r["task_state"] == "success" and r["dbt_run_status"] == "Success" for r in mine),
            })
    return table


def long_job_lengths(count: int, minimum: float = 60.0, interval: float = 6.0) -> list[float]:
    """`count` run lengths from `minimum` on, spread evenly over one poll interval (the template's
    check_interval), so their ends hit every phase of the template's polling."""
    return [round(minimum + (index + 0.5) * interval / count, 2) for index in range(count)]


def run(where: Path, long_seconds: list[float], demo_job: bool = True, interval_cap: float | None = None) -> dict:
    template_home = migrated_airflow_home(where)
    with ThreadPoolExecutor(len(long_seconds) + 1) as pool:
        long_runs = [pool.submit(_long_job, where / f"long-{seconds}", template_home, seconds, interval_cap)
                     for seconds in long_seconds]
        time.sleep(20)  # the demo job's dbt build starts once the long-job workers are past their start-up
        demo = pool.submit(_demo_job, where / "demo", template_home, interval_cap) if demo_job else None
        rows = [row for future in long_runs for row in future.result()] + (demo.result() if demo else [])
    return {"method": "dag.test() of bench-only DAGs (bench/dags/bench_overhead.py), one process per measurement",
            "interval_cap": interval_cap, "long_job_seconds": long_seconds, "summary": summary(rows), "runs": rows}
