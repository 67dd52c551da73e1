"""Airflow's REST API (v2) as the UI uses it: list DAGs, unpause, trigger, read runs, tasks, tries, XComs and jobs;
mark a task failed, clear it."""

from __future__ import annotations

import json
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

FINISHED = {"success", "failed"}


class AirflowRest:
    def __init__(self, base_url: str, token: str) -> None:
        self.api = f"{base_url}/api/v2"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        # Reads are retried (a busy 2-core machine can keep the api-server from answering in time);
        # writes are not: a trigger sent twice would be two runs.
        reads = Retry(total=4, backoff_factor=2, allowed_methods=["GET"], status_forcelist=[502, 503, 504])
        self.session.mount("http://", HTTPAdapter(max_retries=reads))

    def _call(self, method: str, path: str, **kwargs) -> Any:
        resp = self.session.request(method, f"{self.api}{path}", timeout=60, **kwargs)
        assert resp.ok, f"{method} {path}: {resp.status_code} {resp.text[:500]}"
        return resp.json()

    def dag_ids(self) -> list[str]:
        return sorted(d["dag_id"] for d in self._call("GET", "/dags", params={"limit": 1000})["dags"])

    def import_errors(self) -> list[dict]:
        return self._call("GET", "/importErrors", params={"limit": 1000})["import_errors"]

    def wait_for_dags(self, expected: set[str], timeout: float = 300) -> list[str]:
        """The DAGs once the dag-processor has serialized every expected one (or a file failed to import)."""
        deadline = time.monotonic() + timeout
        while True:
            found, errors = set(self.dag_ids()), self.import_errors()
            assert not errors, f"import errors in the containers: {errors}"
            if expected <= found:
                return sorted(found)
            assert time.monotonic() < deadline, f"DAGs not parsed within {timeout:.0f} s: {sorted(expected - found)}"
            time.sleep(2)

    def trigger(self, dag_id: str) -> str:
        """What the Trigger button does: unpause the DAG, then a manual run with no logical date."""
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        return self.start_run(dag_id)

    def start_run(self, dag_id: str) -> str:
        """A manual run with no logical date, of a DAG that is not paused."""
        return self._call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": {}})["dag_run_id"]

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def wait_finished(self, runs: dict[str, str], timeout: float) -> dict[str, str]:
        """dag_id -> final state of the given runs (unfinished ones keep their state at the deadline)."""
        deadline = time.monotonic() + timeout
        states: dict[str, str] = {}
        while True:
            states = {dag_id: self.dag_run(dag_id, run_id)["state"] for dag_id, run_id in runs.items()}
            if set(states.values()) <= FINISHED or time.monotonic() > deadline:
                return states
            time.sleep(3)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})["task_instances"]

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")

    def task_tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict]:
        """Each try of the task so far (try_number, state, hostname, start and end dates)."""
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries")["task_instances"]

    def set_task_state(self, dag_id: str, run_id: str, task_id: str, state: str) -> None:
        """What "Mark as failed / success" does."""
        self._call("PATCH", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", json={"new_state": state})

    def clear_task(self, dag_id: str, run_id: str, task_id: str) -> None:
        """What "Clear" does for one task of a DAG run."""
        self._call("POST", f"/dags/{dag_id}/clearTaskInstances", json={
            "dry_run": False, "task_ids": [task_id], "dag_run_id": run_id, "only_failed": False})

    def jobs(self, job_type: str) -> list[dict]:
        """Airflow's jobs of a type (SchedulerJob, TriggererJob), with their hostname and heartbeat."""
        return self._call("GET", "/jobs", params={"job_type": job_type, "limit": 1000})["jobs"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int = -1) -> Any | None:
        resp = self.session.get(f"{self.api}/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
                                params={"map_index": map_index, "deserialize": True}, timeout=60)
        return resp.json()["value"] if resp.ok else None

    def task_log(self, dag_id: str, run_id: str, ti: dict, try_number: int | None = None) -> list[str]:
        """A try's log (by default the latest), one line per event (with its exception, if any), as the UI's log view shows it."""
        resp = self.session.get(
            f"{self.api}/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/logs/{try_number or max(ti['try_number'], 1)}",
            params={"map_index": ti["map_index"], "full_content": True}, timeout=60)
        if not resp.ok:
            return [f"(no log: {resp.status_code})"]
        return [f"{entry.get('level', '')} {entry.get('event', '')} {json.dumps(entry.get('error_detail', ''))[:800]}"
                for entry in resp.json()["content"]]

    def extra_links(self, dag_id: str, run_id: str, task_id: str) -> dict[str, str | None]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/links")["extra_links"]
