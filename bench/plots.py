"""PNG plots of bench results, run with the bench venv's python (it has matplotlib; .venv does not).

    .state/bench/venv/bin/python bench/plots.py bench/results
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def capacity(results: dict, out: Path) -> None:
    samples = results["deferrable"]["samples"]
    t0 = samples[0]["t"]
    seconds = [s["t"] - t0 for s in samples]
    fig, (tasks, memory) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for key, label in (("in_flight", "dbt Cloud runs in flight"), ("deferred", "tasks deferred (no worker slot)"),
                       ("running", "tasks running (worker slot held)"), ("queued", "tasks queued")):
        tasks.plot(seconds, [s[key] for s in samples], label=label)
    tasks.set_ylabel("count")
    tasks.legend(loc="upper left", fontsize=8)
    tasks.set_title(f"Deferrable capacity ramp (parallelism {results['parallelism']}, one triggerer)")
    memory.plot(seconds, [s["triggerer_rss_mb"] for s in samples], color="tab:red")
    memory.set_ylabel("triggerer RSS (MiB)")
    memory.set_xlabel("seconds since the first DAG run")
    fig.tight_layout()
    fig.savefig(out / "capacity.png", dpi=110)


def throughput(results: dict, out: Path) -> None:
    levels = results["levels"]
    clients = [level["clients"] for level in levels]
    fig, rate = plt.subplots(figsize=(7, 4))
    rate.bar([str(c) for c in clients], [level["requests_per_s"] for level in levels], color="tab:blue")
    rate.axhline(1000, color="tab:blue", linestyle=":", label="goal: 1,000 req/s")
    rate.set_xlabel("concurrent clients")
    rate.set_ylabel("run-status requests/s")
    latency = rate.twinx()
    latency.plot([str(c) for c in clients], [level["p99_ms"] for level in levels], "o-", color="tab:red", label="p99 ms")
    latency.axhline(50, color="tab:red", linestyle=":", label="goal: p99 50 ms")
    latency.set_ylabel("p99 latency (ms)")
    fig.legend(loc="upper left", fontsize=8)
    rate.set_title("Emulator: GET runs/{id}/ throughput and p99 latency")
    fig.tight_layout()
    fig.savefig(out / "emulator_throughput.png", dpi=110)


def main(results_dir: Path) -> None:
    for name, draw in (("capacity", capacity), ("emulator_throughput", throughput)):
        path = results_dir / f"{name}.json"
        if path.exists():
            data = json.loads(path.read_text())
            if "error" not in data:
                draw(data, results_dir)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
