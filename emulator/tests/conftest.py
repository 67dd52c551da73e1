"""Fixtures: the emulator app in-process (TestClient) and, for TLS/socket-level tests, the real CLI."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from dbt_cloud_emulator.app import EmulatorApp
from dbt_cloud_emulator.settings import Settings

TOKEN = "dbtc_emulator_local_token"
OTHER_TOKEN = "dbtc_emulator_other_account_token"
ACCOUNT = 12345
AUTH = {"Authorization": f"Token {TOKEN}"}
TERMINAL = (10, 20, 30)


def make_settings(tmp_path: Path, **overrides) -> Settings:
    values = {"state_dir": tmp_path / "state", "warehouse_dir": tmp_path / "warehouse", "port": 18443, **overrides}
    return Settings.from_env(environ={}, **values)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app with a long synthetic wait, so synthetic runs stay in progress during a test."""
    app = EmulatorApp(make_settings(tmp_path, synthetic_seconds=300.0))
    with TestClient(app, base_url="https://testserver", headers=AUTH) as test_client:
        test_client.emulator = app  # type: ignore[attr-defined]
        yield test_client


def wait_for_run(client, run_id: int, timeout: float = 300.0, statuses=TERMINAL) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/v2/accounts/{ACCOUNT}/runs/{run_id}/").json()["data"]
        if run["status"] in statuses:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not reach {statuses} within {timeout} s: {run}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedEmulator:
    """The real CLI (`python -m dbt_cloud_emulator serve`): the API over HTTPS, the run pages over
    HTTP; restartable on the same state."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.web_port = free_port()
        self.state_dir = tmp_path / "state"
        self.url = f"https://localhost:{self.port}"
        self.env = {**os.environ, "DBT_CLOUD_EMULATOR_WAREHOUSE_DIR": str(tmp_path / "warehouse"), **env}
        self.log = tmp_path / "emulator.log"
        self.process: subprocess.Popen | None = None

    @property
    def trust_bundle(self) -> Path:
        return self.state_dir / "tls" / "trust-bundle.pem"

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dbt_cloud_emulator", "serve", "--port", str(self.port),
                 "--web-port", str(self.web_port), "--state-dir", str(self.state_dir)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.url + "/_emulator/health", verify=self.tls_context()).status_code == 200:
                    return
            except (httpx.HTTPError, OSError):
                pass
            time.sleep(0.2)
        raise AssertionError("emulator did not become healthy:\n" + self.log.read_text())

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.trust_bundle))

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.tls_context(), headers=AUTH, timeout=30, **kwargs)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path, request) -> Iterator[ServedEmulator]:
    env = getattr(request, "param", {})
    emulator = ServedEmulator(tmp_path, env)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
