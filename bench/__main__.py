"""`make bench`: run the benchmarks, write bench/results/<section>.json, README-table.md and the plots.

    .venv/bin/python -m bench [--quick] [--only parse_cost,overhead,...] [--results-dir DIR] [--work-dir DIR]

--quick runs every section at once, on a tiny N with short waits (the bench's own test uses it);
its numbers are not for reading. Scratch files (logs, state) go under .state/bench/<time>/ unless
--work-dir says otherwise. With --only, the table keeps the other sections' last results.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

# Before Airflow is imported anywhere: a throwaway Airflow home, and no developer .env.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="bench-airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["ASTRO_DOTENV_PATH"] = os.devnull

from local_runner.demo_tenant import dag_settings  # noqa: E402

os.environ.update({**dag_settings(), **os.environ})  # the DAGs run against the demo tenant of the bench's emulators

from bench import (astro_path, bench_venv, capacity, distributed, emulator_throughput, machine,  # noqa: E402
                   overhead, parse_cost, polling, report, start_cost)
from local_runner.config import PROJECT_ROOT  # noqa: E402

SECTIONS = ("parse_cost", "emulator_throughput", "polling", "overhead", "capacity", "start_cost", "astro_path",
            "distributed")


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def section_runner(args: argparse.Namespace, work: Path, py_spy: Path | None):
    quick = args.quick
    return {
        "parse_cost": lambda: parse_cost.run(repeats=2 if quick else 5),
        "emulator_throughput": lambda: emulator_throughput.run(work / "throughput", [1, 10, 100], 1.0 if quick else 10.0,
                                                               None if quick else py_spy),
        "polling": lambda: polling.run(work / "polling", quick=quick),
        "overhead": lambda: overhead.run(work / "overhead", [3.0] if quick else overhead.long_job_lengths(3),
                                         demo_job=not quick, interval_cap=2 if quick else None),
        "capacity": lambda: capacity.run(work / "capacity", args.capacity_ns or ([3] if quick else [50, 200, 500, 1000]),
                                         parallelism=args.parallelism or (3 if quick else 16),
                                         plateau_seconds=4 if quick else 10),
        "start_cost": lambda: start_cost.run(work / "start", quick=quick),
        "astro_path": lambda: astro_path.run(work / "astro", quick=quick),
        "distributed": lambda: distributed.run(work / "distributed", quick=quick),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny N and short waits: checks the machinery, not speed")
    parser.add_argument("--only", type=lambda text: text.split(","), default=None,
                        help=f"comma-separated sections among {','.join(SECTIONS)} (default: all but "
                             f"{','.join(report.DOCKER_SECTIONS)}, which make bench-docker runs; --quick: all)")
    parser.add_argument("--results-dir", type=Path, default=PROJECT_ROOT / "bench" / "results")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="scratch folder for logs and state (default .state/bench/<time>)")
    parser.add_argument("--capacity-ns", type=_ints, default=None, help="deferrable stages, default 50,200,500,1000")
    parser.add_argument("--parallelism", type=int, default=None,
                        help="LocalExecutor parallelism of the capacity stack (default 16; 3 with --quick)")
    args = parser.parse_args(argv)
    if args.only is None:
        args.only = [name for name in SECTIONS if args.quick or name not in report.DOCKER_SECTIONS]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose among {', '.join(SECTIONS)}")

    began = time.monotonic()
    work = args.work_dir or PROJECT_ROOT / ".state" / "bench" / datetime.now().strftime("%Y%m%d-%H%M%S")
    work.mkdir(parents=True, exist_ok=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    plots_python, why_not = bench_venv.ensure()
    if why_not:
        print(f"==> bench venv unavailable, so no plots or profile: {why_not}", flush=True)
    results = {"machine": machine.describe(), "quick": args.quick}
    runners = section_runner(args, work, bench_venv.py_spy(plots_python))
    chosen = [name for name in SECTIONS if name in args.only]

    def run_section(name: str) -> dict:
        print(f"==> bench: {name}", flush=True)
        started = time.monotonic()
        load_before = [round(x, 2) for x in os.getloadavg()]
        try:
            result = {**runners[name](), "section_seconds": round(time.monotonic() - started, 1),
                      "measured_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      "load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()]}
        except Exception as error:  # one broken section must not lose the others' numbers
            traceback.print_exc()
            result = {"error": f"{type(error).__name__}: {error}"}
        (args.results_dir / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        print(f"==> bench: {name} done in {time.monotonic() - started:.0f} s", flush=True)
        return result

    if args.quick:  # quick numbers are not read, so the sections may share the machine
        # DagBag's import timeout needs SIGALRM, which only the main thread may set.
        os.environ["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = "0"
        with ThreadPoolExecutor(len(chosen)) as pool:
            results.update(zip(chosen, pool.map(run_section, chosen)))
    else:  # one at a time, so no section's load skews another's numbers
        results.update((name, run_section(name)) for name in chosen)
    failed = [name for name in chosen if "error" in results[name]]
    whole_run = {"wall_seconds": round(time.monotonic() - began, 1), "sections": chosen,
                 "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                 "finished_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    partial = not set(SECTIONS) - set(report.DOCKER_SECTIONS) <= set(chosen)  # not all of make bench's sections
    # The table keeps the last results of the sections not run: make bench-docker's after a make bench, every
    # other section's after a partial run (which also keeps the full run's wall time).
    for name in set(SECTIONS if partial else report.DOCKER_SECTIONS) - set(chosen):
        if (args.results_dir / f"{name}.json").exists():
            results[name] = json.loads((args.results_dir / f"{name}.json").read_text())
    if partial:
        earlier = args.results_dir / "machine.json"
        whole_run = json.loads(earlier.read_text()) if earlier.exists() else {}
        whole_run["rerun_sections"] = chosen
    results.update(whole_run)  # a partial run keeps naming the full run's machine state
    (args.results_dir / "machine.json").write_text(json.dumps({**whole_run, "machine": results["machine"],
                                                               "quick": args.quick}, indent=1) + "\n")
    table = report.markdown(results)
    (args.results_dir / "README-table.md").write_text(table + "\n")
    if plots_python:
        subprocess.run([str(plots_python), str(PROJECT_ROOT / "bench" / "plots.py"), str(args.results_dir)], check=False)
    print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
