"""A local Airflow stack (local_runner.stack) on free ports whose DAGs folder is bench/dags/ (or another).

local_runner reads the DAGs, plugins, include and airflow_settings.yaml from its project root, so
the bench gives it a root of symlinks: the real environments, include/ and settings, with
dags -> bench/dags (the Astro path bench links the project's own dags/). The emulator is started
first with the bench's knobs; stack.start() keeps it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psutil

from bench import emulators
from local_runner import processes, stack
from local_runner.airflow import components
from local_runner.config import PROJECT_ROOT, LocalConfig

LINKED = (".venv", "emulator", "include", "plugins", "airflow_settings.yaml", "dbt_cloud_jobs.yml")
BENCH_DAGS = PROJECT_ROOT / "bench" / "dags"


def bench_root(where: Path, dags: Path = BENCH_DAGS) -> Path:
    root = where / "root"
    root.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        (root / name).symlink_to(PROJECT_ROOT / name)
    (root / "dags").symlink_to(dags)
    return root


@contextlib.contextmanager
def running(where: Path, parallelism: int, dags: Path = BENCH_DAGS, **emulator_knobs: object) -> Iterator[LocalConfig]:
    cfg = LocalConfig.isolated(where / "state", root=bench_root(where, dags), parallelism=parallelism)
    try:
        emulators.start(cfg, **emulator_knobs)
        stack.start(cfg)
        yield cfg
    finally:
        stack.stop_all(cfg)


def component_pid(cfg: LocalConfig, name: str) -> int | None:
    return processes.running_pid(cfg, next(c for c in components(cfg) if c.name == name))


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (the triggerer runs its triggers in a child)."""
    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total
