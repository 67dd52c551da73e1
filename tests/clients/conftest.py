"""dbt Cloud's own clients against the emulator: each in its environment (.clients/<name>/, `make install`),
each against an emulator of its own (fresh state: the clients create and delete jobs)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from local_runner.install import client_venv
from tests.e2e.dbt_cloud_api import DbtCloudApi
from tests.environment import NO_EMULATOR_HERE, emulator_available


@pytest.fixture(scope="module")
def own_emulator(pytestconfig):
    """An emulator of the module's own, started as the plugin starts its session one."""
    if not emulator_available():
        pytest.skip(NO_EMULATOR_HERE)
    from dbt_cloud_emulator.pytest_plugin import EmulatorServer, emulator_python

    server = EmulatorServer(Path(tempfile.mkdtemp(prefix="emulator-clients-")) / "state",
                            python=emulator_python(pytestconfig), synthetic_seconds=300)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api(own_emulator) -> DbtCloudApi:
    api = DbtCloudApi(own_emulator)
    api.session.trust_env = False  # REQUESTS_CA_BUNDLE names the session emulator's bundle, not this one's
    return api


class Client:
    """One client's executable, run as a user runs it, with the emulator's address and trust bundle."""

    def __init__(self, name: str, executable: str, env: dict[str, str], cwd: Path) -> None:
        path = client_venv(name) / "bin" / executable
        assert path.exists(), f"{path} is missing: run `make install`"
        self.path, self.env, self.cwd = path, env, cwd

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(self.path), *args], env=self.env, cwd=self.cwd, capture_output=True, text=True,
                              timeout=600)
        if check:
            assert done.returncode == 0, f"{self.path.name} {' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    def json(self, *args: str) -> dict:
        return json.loads(self(*args).stdout)


def client_env(emulator, **extra: str) -> dict[str, str]:
    return {**os.environ, "REQUESTS_CA_BUNDLE": str(emulator.trust_bundle), "SSL_CERT_FILE": str(emulator.trust_bundle),
            **extra}
