"""Starting the dbt Cloud emulator as a local process (for `make start` and the test fixtures)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request

from local_runner.config import LocalConfig
from local_runner.processes import Component, alive, log_tail, spawn

HEALTH_PATH = "/_emulator/health"


class StartError(RuntimeError):
    """A component did not come up; the message says why and what to do."""


def component(cfg: LocalConfig) -> Component:
    python = cfg.emulator_venv / "bin" / "python"
    return Component(
        "emulator",
        [str(python), "-m", "dbt_cloud_emulator", "serve", "--host", "127.0.0.1",
         "--port", str(cfg.emulator_port), "--state-dir", str(cfg.emulator_state_dir)],
    )


def environment(cfg: LocalConfig) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_CLOUD_EMULATOR_WAREHOUSE_DIR": str(cfg.warehouse_dir),
        "DBT_CLOUD_EMULATOR_PUBLIC_HOST": f"localhost:{cfg.emulator_port}",
        "DO_NOT_TRACK": "1",
    }


def ensure_tls(cfg: LocalConfig) -> None:
    """Create the emulator's certificates and trust bundle now, before any client reads them."""
    done = subprocess.run([str(cfg.emulator_venv / "bin" / "python"), "-m", "dbt_cloud_emulator", "tls",
                           "--state-dir", str(cfg.emulator_state_dir)], env=environment(cfg), capture_output=True, text=True)
    if done.returncode != 0:
        raise StartError(f"The emulator could not create its TLS certificates:\n{done.stderr[-2000:]}")


def start(cfg: LocalConfig) -> int:
    if not (cfg.emulator_venv / "bin" / "python").exists():
        raise StartError(f"The emulator's environment is missing ({cfg.emulator_venv}): run `make install`.")
    log = component(cfg).log_file(cfg)
    log_start = log.stat().st_size if log.exists() else 0
    pid = spawn(cfg, component(cfg), environment(cfg))
    wait_healthy(cfg, pid, log_start)
    return pid


def is_healthy(cfg: LocalConfig) -> bool:
    ca = cfg.emulator_state_dir / "tls" / "ca.pem"
    if not ca.exists():
        return False
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with urllib.request.urlopen(cfg.emulator_url + HEALTH_PATH, context=context, timeout=2) as resp:
            return resp.status == 200 and json.load(resp).get("status") == "ok"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(cfg: LocalConfig, pid: int, log_start: int = 0, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_healthy(cfg):
            return
        if not alive(pid):
            raise StartError(f"the dbt Cloud emulator exited while starting; the end of its log says why:\n"
                             f"{log_tail(cfg, component(cfg), since=log_start)}")
        time.sleep(0.3)
    raise StartError(f"the dbt Cloud emulator did not answer {cfg.emulator_url}{HEALTH_PATH} within {timeout:.0f} s. "
                     f"The end of its log:\n{log_tail(cfg, component(cfg), since=log_start)}")
