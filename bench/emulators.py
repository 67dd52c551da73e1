"""A bench-owned dbt Cloud emulator: started on a free port with its own state and DBT_CLOUD_EMULATOR_* knobs."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import requests

from local_runner import emulator as emulator_process
from local_runner.emulator import EmulatorProcess
from local_runner import processes
from local_runner.config import LocalConfig

# One line per request in the emulator's log (local time, no query string):
# "2026-12-06 01:53:44,123 INFO dbt_cloud_emulator.requests: GET /api/v2/accounts/12345/runs/100001/ 200 1.2ms".
_REQUEST_LINE = re.compile(r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ dbt_cloud_emulator\.requests: "
                           r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\S+) [\d.]+ms$")
_RUN_PATH = re.compile(r"^/api/v2/accounts/\d+/runs/(?P<run_id>\d+)/$")
_RUNS_LIST_PATH = re.compile(r"^/api/v2/accounts/\d+/runs/$")


class BenchEmulator(EmulatorProcess):
    """The local runner's emulator handle, plus what the benches read: its API, stats and request log."""

    @property
    def log_file(self) -> Path:
        return emulator_process.component(self.cfg).log_file(self.cfg)

    @property
    def pid(self) -> int | None:
        return processes.running_pid(self.cfg, emulator_process.component(self.cfg))

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {self.token}"
        session.verify = str(self.trust_bundle)
        session.trust_env = False  # else REQUESTS_CA_BUNDLE in the shell would override `verify`
        return session

    def api(self, session: requests.Session, method: str, path: str, **kwargs) -> dict:
        response = session.request(method, f"{self.url}/api/v2/accounts/{self.account_id}/{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()["data"]

    def control(self, method: str, path: str, timeout: float = 60, **kwargs) -> dict:
        """A call to the emulator's /_emulator/ controls."""
        response = self.session().request(method, f"{self.url}/_emulator/{path}", timeout=timeout, **kwargs)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict:
        return self.control("GET", "stats", timeout=30)

    def release_synthetic_runs(self, fail_run_ids: list[int]) -> dict:
        """End every waiting synthetic run now: those in `fail_run_ids` in error, the others in success."""
        return self.control("POST", "synthetic/release", json={"fail_run_ids": fail_run_ids})

    def api_requests(self) -> list[tuple[float, str, str]]:
        """(epoch, method, path) of every API request in the log so far."""
        found = []
        for line in self.log_file.read_text(errors="replace").splitlines():
            if match := _REQUEST_LINE.search(line):
                at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                found.append((at, match["method"], match["path"]))
        return found


def status_reads(requests_seen: list[tuple[float, str, str]], run_id: int, since: float, until: float) -> int:
    """Requests that read a run's status: GET runs/{run_id}/, and the runs-list GETs (the template's status board
    reads its runs 100 a page with pk__in) between `since` and `until` (epoch), which are the run's only when
    nothing else polls the emulator meanwhile."""
    reads = 0
    for at, method, path in requests_seen:
        run = _RUN_PATH.match(path) if method == "GET" else None
        if run and int(run["run_id"]) == run_id:
            reads += 1
        elif method == "GET" and _RUNS_LIST_PATH.match(path):
            reads += since <= at <= until
    return reads


def start(cfg: LocalConfig, **knobs: object) -> BenchEmulator:
    """Start the emulator of `cfg`; knobs are settings by name, e.g. synthetic_seconds=60 -> DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS."""
    emulator = BenchEmulator(cfg)
    emulator.start(**knobs)
    return emulator


@contextlib.contextmanager
def running(state_dir: Path, **knobs: object) -> Iterator[BenchEmulator]:
    """An emulator alone, on a free port, with its own state folder."""
    emulator = start(LocalConfig.isolated(state_dir), **knobs)
    try:
        yield emulator
    finally:
        emulator.stop()
