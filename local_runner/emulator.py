"""Starting the dbt Cloud emulator as a local process (for `make start`, the benches and the tests of make start's state).

The test suite's own emulators come from the emulator's pytest plugin (dbt_cloud_emulator.pytest_plugin)."""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local_runner import demo_tenant
from local_runner.config import LocalConfig
from local_runner.processes import Component, alive, log_tail, spawn, stop

HEALTH_PATH = "/_emulator/health"


class StartError(RuntimeError):
    """A component did not come up; the message says why and what to do."""


def component(cfg: LocalConfig) -> Component:
    python = cfg.emulator_venv / "bin" / "python"
    return Component(
        "emulator",
        [str(python), "-m", "dbt_cloud_emulator", "serve", "--host", "127.0.0.1",
         "--port", str(cfg.emulator_port), "--web-port", str(cfg.emulator_web_port),
         "--state-dir", str(cfg.emulator_state_dir)],
    )


def environment(cfg: LocalConfig) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_CLOUD_EMULATOR_WAREHOUSE_DIR": str(cfg.warehouse_dir),
        "DBT_CLOUD_EMULATOR_PUBLIC_URL": cfg.emulator_web_url,
        "DO_NOT_TRACK": "1",
    }


def start(cfg: LocalConfig, **settings: object) -> int:
    """Start the emulator of `cfg` and wait until it is healthy. `settings` are emulator settings by
    name (synthetic_seconds=60 means DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS=60), for tests and benches."""
    if not (cfg.emulator_venv / "bin" / "python").exists():
        raise StartError(f"The emulator's environment is missing ({cfg.emulator_venv}): run `make install`.")
    log = component(cfg).log_file(cfg)
    log_start = log.stat().st_size if log.exists() else 0
    env = {**environment(cfg), **{f"DBT_CLOUD_EMULATOR_{name.upper()}": str(value) for name, value in settings.items()}}
    pid = spawn(cfg, component(cfg), env)
    try:
        wait_healthy(cfg, pid, log_start)
    except StartError:
        stop(cfg, component(cfg))
        raise
    return pid


def is_healthy(cfg: LocalConfig) -> bool:
    """The API (HTTPS, trusting the emulator's CA) and the run pages (plain HTTP) both answer."""
    ca = cfg.emulator_state_dir / "tls" / "ca.pem"
    if not ca.exists():
        return False
    context = ssl.create_default_context(cafile=str(ca))
    try:
        for base in (cfg.emulator_url, cfg.emulator_web_url):
            with urllib.request.urlopen(base + HEALTH_PATH, context=context, timeout=2) as resp:
                if resp.status != 200 or json.load(resp).get("status") != "ok":
                    return False
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return True


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


@dataclass
class EmulatorProcess:
    """A handle on the emulator of one LocalConfig: its addresses, credentials and controls."""

    cfg: LocalConfig
    token: str = demo_tenant.TOKEN
    account_id: int = demo_tenant.ACCOUNT_ID

    @property
    def port(self) -> int:
        return self.cfg.emulator_port

    @property
    def host(self) -> str:
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        return self.cfg.emulator_url

    @property
    def web_url(self) -> str:
        """Where run hrefs point: the run pages, over plain HTTP."""
        return self.cfg.emulator_web_url

    @property
    def state_dir(self) -> Path:
        return self.cfg.emulator_state_dir

    @property
    def warehouse_dir(self) -> Path:
        return self.cfg.warehouse_dir

    @property
    def trust_bundle(self) -> Path:
        return self.cfg.trust_bundle

    @property
    def connection_json(self) -> str:
        return json.dumps({"conn_type": "dbt_cloud", "host": self.host, "login": str(self.account_id),
                           "password": self.token})

    def provider_env(self) -> dict[str, str]:
        """What a process running the provider needs to reach and trust this emulator."""
        return {"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": self.connection_json,
                "REQUESTS_CA_BUNDLE": str(self.trust_bundle), "SSL_CERT_FILE": str(self.trust_bundle)}

    def start(self, **settings: object) -> None:
        start(self.cfg, **settings)

    def stop(self) -> None:
        stop(self.cfg, component(self.cfg))
