"""pytest plugin (entry point `dbt_cloud_emulator` in group pytest11): a dbt Cloud emulator for any test suite.

The fixture `dbt_cloud_emulator` starts one emulator for the session on free ports, in a temporary state
folder, and yields an `EmulatorServer`: its `url`, `account_id`, `token`, `trust_bundle` (the CA bundle
clients must trust) and `control` (the emulator-only endpoints: faults, rate limit, synthetic runs).

This module imports the standard library only, so a suite whose environment must not hold dbt can load
it: the server runs as a subprocess of a Python that has the emulator installed, named by the option
`--dbt-cloud-emulator-python`, the ini setting `dbt_cloud_emulator_python` or the environment variable
DBT_CLOUD_EMULATOR_PYTHON (default: this Python).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The default tenant's account and token (the package's jobs.yaml); another tenant file names its own.
DEFAULT_ACCOUNT_ID = 12345
DEFAULT_TOKEN = "dbtc_emulator_local_token"
PYTHON_ENV = "DBT_CLOUD_EMULATOR_PYTHON"
START_TIMEOUT_SECONDS = 90.0


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control call failed; the message says why."""


class EmulatorControl:
    """The emulator-only endpoints (/_emulator/..., no token; never rate limited) of the emulator at `url`."""

    def __init__(self, url: str, trust_bundle: str | Path) -> None:
        self.url, self.trust_bundle = url, Path(trust_bundle)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 60) -> Any:
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path.lstrip('/')}", method=method,
            data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(self.trust_bundle)),
                                        timeout=timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise EmulatorError(f"{method} /_emulator/{path}: {error.code} {error.read()[:500]!r}") from None

    def health(self) -> dict[str, Any]:
        return self.call("GET", "health", timeout=2)

    def faults(self) -> dict[str, Any]:
        """The fault settings, and under "injected" how many faults of each kind were injected so far."""
        return self.call("GET", "faults")

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """E.g. set_faults(rate=0.2, kinds=["429", "500"]); set_faults(rate=0) ends them."""
        return self.call("POST", "faults", settings)

    def stats(self) -> dict[str, Any]:
        return self.call("GET", "stats")

    def reset_job(self, job_id: int) -> dict[str, Any]:
        """A demo job's starting state again (job 333: its late data has not landed)."""
        return self.call("POST", f"jobs/{job_id}/reset")

    def release_synthetic_runs(self, fail_run_ids: list[int] | tuple[int, ...] = ()) -> dict[str, Any]:
        """End every waiting synthetic run now: those in `fail_run_ids` in error, the others in success."""
        return self.call("POST", "synthetic/release", {"fail_run_ids": list(fail_run_ids)})

    def synthetic_runs(self, job_id: int, count: int, seconds: float | list[float], fail: int = 0) -> list[int]:
        """Create `count` runs of a synthetic job directly (no API request) that end `seconds` after creation."""
        return self.call("POST", "synthetic/runs", {"job_id": job_id, "count": count, "seconds": seconds,
                                                    "fail": fail})["run_ids"]

    def rate_limit(self) -> dict[str, Any]:
        return self.call("GET", "rate-limit")

    def set_rate_limit(self, **settings: Any) -> dict[str, Any]:
        """per_minute (0: off) and/or cooldown_seconds, changed live."""
        return self.call("POST", "rate-limit", settings)

    def lock_out(self, account_id: int, seconds: float) -> dict[str, Any]:
        """Every API request of the account answers 429 for `seconds`."""
        return self.call("POST", "rate-limit/lockout", {"account_id": account_id, "seconds": seconds})


class EmulatorServer:
    """One emulator process: HTTPS API on `port`, run pages over plain HTTP on `web_port`, state in `state_dir`.

    `settings` are emulator settings by name (synthetic_seconds=60 sets DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS).
    """

    def __init__(self, state_dir: Path, *, python: str = sys.executable, account_id: int = DEFAULT_ACCOUNT_ID,
                 token: str = DEFAULT_TOKEN, **settings: Any) -> None:
        self.state_dir = Path(state_dir)
        self.warehouse_dir = self.state_dir.parent / (self.state_dir.name + "-warehouse")
        self.log_file = self.state_dir.parent / (self.state_dir.name + ".log")
        self.python, self.account_id, self.token, self.settings = python, account_id, token, settings
        self.port, self.web_port = _free_port(), _free_port()
        self.control = EmulatorControl(self.url, self.trust_bundle)
        self._process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.host}"

    @property
    def web_url(self) -> str:
        """Where a run's href points: the run pages, over plain HTTP."""
        return f"http://localhost:{self.web_port}"

    @property
    def trust_bundle(self) -> Path:
        """Public CAs plus the emulator's CA: point REQUESTS_CA_BUNDLE and SSL_CERT_FILE at it."""
        return self.state_dir / "tls" / "trust-bundle.pem"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    def api_url(self, path: str, version: int = 2) -> str:
        """E.g. api_url("jobs/111/run/") -> https://localhost:PORT/api/v2/accounts/12345/jobs/111/run/."""
        return f"{self.url}/api/v{version}/accounts/{self.account_id}/{path.lstrip('/')}"

    def api(self, method: str, path: str, body: dict[str, Any] | None = None, version: int = 2) -> Any:
        """One API call with the token, e.g. api("POST", "jobs/111/run/", {"cause": "test"}); the parsed JSON answer."""
        request = urllib.request.Request(
            self.api_url(path, version), method=method, data=None if body is None else json.dumps(body).encode(),
            headers={**self.headers, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.ssl_context(), timeout=60) as response:
            return json.load(response)

    def wait_for_run(self, run_id: int, timeout: float = 300) -> dict[str, Any]:
        """The run once it is Success (10), Error (20) or Cancelled (30)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"runs/{run_id}/")["data"]
            if run["is_complete"]:
                return run
            time.sleep(0.5)
        raise EmulatorError(f"Run {run_id} did not finish within {timeout:.0f} s.")

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.trust_bundle))

    def ensure_tls(self) -> Path:
        """Create the certificates and trust bundle now (before clients that read it once are imported)."""
        done = subprocess.run([self.python, "-m", "dbt_cloud_emulator", "tls", "--state-dir", str(self.state_dir)],
                              env=self._environment(), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise EmulatorError(f"{self.python} -m dbt_cloud_emulator tls failed (is the emulator installed in that "
                                f"Python? set {PYTHON_ENV}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return self.trust_bundle

    def start(self) -> None:
        """Start (or start again, on the same ports and state) and wait until both ports answer."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [self.python, "-m", "dbt_cloud_emulator", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--web-port", str(self.web_port), "--state-dir", str(self.state_dir)],
                env=self._environment(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.is_healthy():
                return
            if self._process.poll() is not None:
                raise EmulatorError(f"The emulator exited while starting; the end of its log:\n{self._log_since(log_start)}")
            time.sleep(0.2)
        self.stop()
        raise EmulatorError(f"The emulator did not answer {self.url} within {START_TIMEOUT_SECONDS:.0f} s; the end "
                            f"of its log:\n{self._log_since(log_start)}")

    def is_healthy(self) -> bool:
        """The API (HTTPS, trusting the emulator's CA) and the run pages (plain HTTP) both answer."""
        if not self.trust_bundle.exists():
            return False
        try:
            for base, context in ((self.url, self.ssl_context()), (self.web_url, None)):
                with urllib.request.urlopen(f"{base}/_emulator/health", context=context, timeout=2) as response:
                    if json.load(response).get("status") != "ok":
                        return False
        except (urllib.error.URLError, OSError, ValueError):
            return False
        return True

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process group (SIGTERM, then SIGKILL after 30 s)."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        for current in (sig, signal.SIGKILL):
            try:
                os.killpg(process.pid, current)
                process.wait(timeout=30)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would."""
        self.stop(signal.SIGKILL)

    def _environment(self) -> dict[str, str]:
        settings = {f"DBT_CLOUD_EMULATOR_{name.upper()}": str(value) for name, value in self.settings.items()}
        return {**os.environ, "DBT_CLOUD_EMULATOR_WAREHOUSE_DIR": str(self.warehouse_dir),
                "DBT_CLOUD_EMULATOR_PUBLIC_URL": self.web_url, "DO_NOT_TRACK": "1", **settings}

    def _log_since(self, offset: int) -> str:
        with self.log_file.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")[-4000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def emulator_python(config: pytest.Config) -> str:
    """The Python that runs the emulator: option, else environment variable, else ini setting, else this one."""
    python = config.getoption("dbt_cloud_emulator_python") or os.environ.get(PYTHON_ENV)
    if not python:
        configured = config.getini("dbt_cloud_emulator_python")
        python = str(config.rootpath / configured) if configured else sys.executable
    return python


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = f"Python with the dbt Cloud emulator installed, to run it (env {PYTHON_ENV}; default: this Python)"
    parser.addoption("--dbt-cloud-emulator-python", dest="dbt_cloud_emulator_python", help=help_text)
    parser.addini("dbt_cloud_emulator_python", help_text + "; relative to the rootdir", default="")
    parser.addini("dbt_cloud_emulator_trust_env", "Create the session emulator's trust bundle at start-up and set "
                  "REQUESTS_CA_BUNDLE and SSL_CERT_FILE to it, for clients that read them once, at import",
                  type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    if config.getini("dbt_cloud_emulator_trust_env"):
        trust_session_emulator(config)


def trust_session_emulator(config: pytest.Config) -> EmulatorServer:
    """Create the session emulator's trust bundle now and point REQUESTS_CA_BUNDLE and SSL_CERT_FILE at it:
    for clients that read them once, at import (aiohttp), call this from pytest_configure."""
    server = session_server(config)
    os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = str(server.ensure_tls())
    return server


def session_server(config: pytest.Config) -> EmulatorServer:
    """The session's emulator (not started before the fixture `dbt_cloud_emulator` first asks for it)."""
    server = getattr(config, "_dbt_cloud_emulator", None)
    if server is None:
        folder = Path(tempfile.mkdtemp(prefix="dbt-cloud-emulator-"))
        server = EmulatorServer(folder / "state", python=emulator_python(config))
        config._dbt_cloud_emulator = server  # type: ignore[attr-defined]
    return server


@pytest.fixture(scope="session")
def dbt_cloud_emulator(pytestconfig: pytest.Config) -> Iterator[EmulatorServer]:
    """A dbt Cloud emulator for the session: fresh state, free ports; stopped at the end."""
    server = session_server(pytestconfig)
    server.start()
    try:
        yield server
    finally:
        server.stop()
