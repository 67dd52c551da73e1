"""The polling section: what waiting on many dbt Cloud runs costs the account, per kind of trigger.

For each kind (the provider's DbtCloudRunJobTrigger at 60 s and at 6 s, the template's trigger on its
status board) and each number of runs in flight, a fresh emulator with dbt Cloud's limit on (5,000
requests a minute per account) holds that many synthetic runs, ending at spread, known times; one
process waits on all of them in one asyncio loop, as a triggerer does (bench/polling_worker.py).
Measured: requests a minute to the account and how many were answered 429 (the emulator's request
counter), waits that failed (an event other than the run's own success, or none before the deadline),
detection delay (the run's finished_at to its event) p50/p99, and the loop's peak RSS.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bench import emulators
from local_runner.demo_tenant import SYNTHETIC_JOB_ID
from local_runner.config import PROJECT_ROOT as ROOT

LINE_AT = 5000
# kind -> (trigger class, poll_interval: the board ignores it, seconds after their creation that the runs end,
# spread evenly, runs in flight per level). The provider at 6 s spends dbt Cloud's minute in 30 s at 1,000
# runs: its runs outlast that. So that the section stays under 5 minutes, the provider is measured where it
# shows what it costs: at 60 s one request per run a minute by construction (a minute a level), at 6 s
# failing waits from 1,000 runs on; the template at every level.
KINDS = {"provider-60s": ("provider", 60.0, (10.0, 30.0), (LINE_AT,)),
         "provider-6s": ("provider", 6.0, (10.0, 70.0), (1000, LINE_AT)),
         "template": ("template", 6.0, (6.0, 20.0), (1000, LINE_AT, 10000))}
QUICK_RUNS_END_WITHIN = (1.0, 3.0)


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)], 2)


def _api_requests(stats: dict) -> int:
    return sum(sum(counts.values()) for route, counts in stats["by_route"].items() if "/api/" in route)


def _finished_at(emulator: emulators.BenchEmulator, run_ids: list[int]) -> dict[int, float]:
    emulator.control("POST", "rate-limit", json={"per_minute": 0})  # reading the results is not the measured load
    session, found = emulator.session(), {}
    for start in range(0, len(run_ids), 100):
        page = run_ids[start:start + 100]
        for run in emulator.api(session, "GET", "runs/", params={"pk__in": str(page), "limit": 100}):
            if run["finished_at"]:
                found[run["id"]] = datetime.fromisoformat(run["finished_at"]).timestamp()
    return found


def measure(where: Path, kind: str, runs: int, ends_within: tuple[float, float], deadline: float) -> dict:
    trigger_kind, interval = KINDS[kind][:2]
    with emulators.running(where / f"{kind}-{runs}", synthetic_seconds=3600) as emulator:
        spec = json.dumps({"kind": trigger_kind, "interval": interval, "seconds": deadline})
        env = {**os.environ, **emulator.provider_env(), "PYTHONPATH": str(ROOT), "ASTRO_DOTENV_PATH": os.devnull}
        with open(where / f"{kind}-{runs}.log", "w") as log:
            worker = subprocess.Popen([sys.executable, "-m", "bench.polling_worker", spec], env=env, cwd=ROOT,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
            ready = worker.stdout.readline().strip()
            run_ids = emulator.control("POST", "synthetic/runs", timeout=600, json={
                "job_id": SYNTHETIC_JOB_ID, "count": runs, "seconds": list(ends_within)})["run_ids"]
            before = _api_requests(emulator.stats())
            started = datetime.now().timestamp()
            if ready != "READY":  # it failed before it could wait: its log says why
                worker.kill()
            output, _ = worker.communicate(json.dumps(run_ids) + "\n" if ready == "READY" else None)
        wall = datetime.now().timestamp() - started
        result = next((json.loads(line.split(" ", 1)[1]) for line in output.splitlines()
                       if line.startswith("BENCH_RESULT ")), None)
        if result is None:
            raise RuntimeError(f"The polling worker failed (exit {worker.returncode}); see {where / f'{kind}-{runs}.log'}")
        stats = emulator.stats()
        answered_429 = sum(counts.get("429", 0) for route, counts in stats["by_route"].items() if "/api/" in route)
        requests = _api_requests(stats) - before
        finished = _finished_at(emulator, run_ids)
    events = {int(run_id): event for run_id, event in result["events"].items()}
    delays = [events[run_id][1] - finished[run_id] for run_id in run_ids
              if run_id in finished and events.get(run_id, [None])[0] == "success"]
    return {
        "kind": kind, "runs": runs, "interval_s": interval, "runs_end_within_s": list(ends_within), "wall_s": round(wall, 1),
        "requests_per_min": round(requests / wall * 60),
        "answered_429": answered_429,
        "waits_failed": sum(1 for run_id in run_ids if events.get(run_id, [None])[0] != "success"),
        "detection_p50_s": _percentile(delays, 0.5), "detection_p99_s": _percentile(delays, 0.99),
        "loop_rss_mb": result["rss_mb"],
    }


def line(row: dict) -> str:
    return (f"polling {row['kind']}: {row['runs']} runs in flight, {row['requests_per_min']} requests/min, "
            f"{row['answered_429']} answered 429, {row['waits_failed']} waits failed, "
            f"detection p50 {row['detection_p50_s']} s p99 {row['detection_p99_s']} s")


def run(where: Path, quick: bool = False) -> dict:
    """Every kind at its levels, or (quick) 3 runs of each kind but the provider at 60 s (a minute-long wait)."""
    where.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind, (_, _, ends_within, levels) in KINDS.items():
        if quick and kind == "provider-60s":
            continue
        ends_within, levels = (QUICK_RUNS_END_WITHIN, (3,)) if quick else (ends_within, levels)
        for runs in levels:
            deadline = ends_within[1] + (75 if kind == "provider-60s" else 20)
            rows.append(measure(where, kind, runs, ends_within, deadline))
            print(f"==> {line(rows[-1])} (wall {rows[-1]['wall_s']} s, loop RSS {rows[-1]['loop_rss_mb']} MB)", flush=True)
    for row in rows:
        if row["runs"] == (3 if quick else LINE_AT):
            print(line(row), flush=True)
    return {"rate_limit_per_minute": 5000, "rows": rows}
