"""Parse cost of the example DAGs: per file and all together, the time DagBag takes to import and build them.

Warm: in this interpreter, after one untimed pass (Airflow, the provider and include/ already
imported, as in the DAG processor, which pre-imports a file's imports before it forks to parse).
DagBag re-executes a DAG file on every load, so each timed load is the file's own cost; the figure
is the median of `repeats` loads. Cold: the wall time of tests/dags/parse_guard.py in a fresh
interpreter per file (two at a time, one per core), which also reports any network or
metadata-database access at parse time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
PARSE_GUARD = ROOT / "tests" / "dags" / "parse_guard.py"


def dag_files() -> list[Path]:
    return sorted(path for path in DAGS.glob("*.py") if not path.name.startswith("_"))


def _timed_load(path: Path) -> tuple[float, object]:
    from airflow.dag_processing.dagbag import DagBag

    started = time.perf_counter()
    bag = DagBag(dag_folder=str(path))
    return time.perf_counter() - started, bag


def warm_seconds(path: Path, repeats: int) -> tuple[float, list[str], dict]:
    seconds, bag = zip(*(_timed_load(path) for _ in range(repeats)))
    return statistics.median(seconds), sorted(bag[-1].dag_ids), bag[-1].import_errors


def guarded_parse(path: Path) -> tuple[float, dict]:
    """parse_guard.py in a fresh interpreter: its wall time, and its report of DAG ids, errors, attempts."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(PARSE_GUARD), str(path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return seconds, {"dags": [], "import_errors": {str(path): done.stderr[-2000:]}, "attempts": []}
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def run(repeats: int) -> dict:
    files = dag_files()
    # Warm loads are timed first, alone; then the cold parses run two at a time (one per core).
    _timed_load(DAGS)  # warm-up: imports Airflow, the provider and include/ once
    warm = {path: warm_seconds(path, repeats) for path in files}
    with ThreadPoolExecutor(2) as pool:
        cold = dict(zip(files, pool.map(guarded_parse, files)))
    per_file = []
    for path in files:
        (warm_s, dag_ids, errors), (cold_s, guard) = warm[path], cold[path]
        per_file.append({
            "file": f"dags/{path.name}", "dag_ids": dag_ids, "warm_seconds": round(warm_s, 4),
            "cold_process_seconds": round(cold_s, 2), "import_errors": {**errors, **guard["import_errors"]},
            "network_or_db_calls_at_parse": guard["attempts"],
        })
    together, bag, _ = warm_seconds(DAGS, repeats)
    return {
        "repeats": repeats,
        "files": per_file,
        "all_files_warm_seconds": round(together, 4),
        "dag_count": len(bag),
        "no_network_or_db_at_parse": all(not f["network_or_db_calls_at_parse"] for f in per_file),
        "no_import_errors": all(not f["import_errors"] for f in per_file),
    }
