"""Start cost: wall time of `make start` to a healthy API server, cold and warm, and of `make demo`.

Everything runs in a temporary copy of the working tree (no .git, environments, .tools or .state)
on free ports, so the checkout's own environments and state are never touched:
- cold: empty uv cache (UV_CACHE_DIR), no pip cache, no environments, no state: `make start`
  installs uv, .venv and emulator/.venv, migrates a new metadata DB and starts everything;
- warm: `make stop`, then `make start` again (environments and state in place);
- demo: `make stop`, then `make demo` (start, run dbt_cloud_run_job once, print the run).
`make start` returns once the API server reports every component healthy, so its wall time is
the time to a healthy API server.

In quick mode (the bench's own test) the copy links the checkout's environments instead of
installing them (brought up to date in the checkout first, so the copy's `make start` never reinstalls
into them from a temporary folder) and only the warm start is timed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from local_runner.config import PROJECT_ROOT
from local_runner.ports import free_port

NOT_COPIED = {".git", ".venv", ".tools", ".state", "__pycache__", ".pytest_cache", "artifacts", "results"}
ENVIRONMENTS = (".venv", ".tools", "emulator/.venv")


def copy_tree(dest: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {name for name in names if name in NOT_COPIED or name.endswith(".egg-info")}

    shutil.copytree(PROJECT_ROOT, dest, ignore=ignore, symlinks=True)
    return dest


def _make(copy: Path, target: str, env: dict[str, str], log: Path) -> dict:
    started = time.monotonic()
    with open(log, "a") as out:
        out.write(f"\n$ make {target}\n")
        out.flush()
        done = subprocess.run(["make", target], cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
    return {"target": target, "seconds": round(time.monotonic() - started, 1), "exit_code": done.returncode}


def run(where: Path, quick: bool = False) -> dict:
    copy = copy_tree(where / "checkout")
    env = {**os.environ, "LOCAL_AIRFLOW_PORT": str(free_port()), "DBT_CLOUD_EMULATOR_PORT": str(free_port()),
           "DBT_CLOUD_EMULATOR_WEB_PORT": str(free_port()),
           "UV_CACHE_DIR": str(where / "empty-uv-cache"), "PIP_NO_CACHE_DIR": "1"}
    env.pop("LOCAL_STATE_DIR", None)
    env.pop("VIRTUAL_ENV", None)
    log = where / "make.log"
    timings = []
    try:
        if quick:
            subprocess.run([sys.executable, "-m", "local_runner.install"], cwd=PROJECT_ROOT, check=True,
                           stdout=subprocess.DEVNULL)
            for name in ENVIRONMENTS:
                (copy / name).symlink_to(PROJECT_ROOT / name)
            timings.append({"case": "warm start", **_make(copy, "start", env, log)})
        else:
            timings.append({"case": "cold start", **_make(copy, "start", env, log)})
            _make(copy, "stop", env, log)
            timings.append({"case": "warm start", **_make(copy, "start", env, log)})
            _make(copy, "stop", env, log)
            timings.append({"case": "demo (from stopped, warm)", **_make(copy, "demo", env, log)})
    finally:
        stopped = _make(copy, "stop", env, log)
        for name in ENVIRONMENTS:  # hundreds of MB; the copy's logs and state stay for a look
            path = copy / name
            if path.is_symlink():
                path.unlink()
            else:
                shutil.rmtree(path, ignore_errors=True)
    return {"ports": {"airflow": env["LOCAL_AIRFLOW_PORT"], "emulator": env["DBT_CLOUD_EMULATOR_PORT"]},
            "log": str(log), "timings": timings, "stopped_cleanly": stopped["exit_code"] == 0,
            "local_wheel_dir": os.environ.get("PIP_FIND_LINKS")}
