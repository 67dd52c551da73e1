"""The emulator's dbt Cloud API, read the way a person checks dbt Cloud: runs, steps, artifacts."""

from __future__ import annotations

from typing import Any

import requests

from local_runner.demo_tenant import ACCOUNT_ID


class DbtCloudApi:
    """The emulator's dbt Cloud API, read with requests and the emulator's trust bundle."""

    def __init__(self, emulator) -> None:
        self.base = emulator.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {emulator.token}"
        self.session.verify = str(emulator.trust_bundle)

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(method, f"{self.base}{path}", timeout=30, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response

    def run(self, run_id: int) -> dict[str, Any]:
        """The run with its steps, trigger and job, as GET runs/{id}/ returns it."""
        params = {"include_related": ["run_steps", "trigger", "job"]}
        return self._call("GET", f"/api/v2/accounts/{ACCOUNT_ID}/runs/{run_id}/", params=params).json()["data"]

    def wait_until_finished(self, run_id: int, timeout: float = 300) -> dict[str, Any]:
        """The run once it is Success, Error or Cancelled."""
        # Imported here: tests/conftest.py imports this module before it sets AIRFLOW_HOME, which
        # Airflow (imported by tests.polling for the provider's statuses) reads once.
        from tests.polling import FINISHED, wait_for_run_status

        return wait_for_run_status(lambda: self.run(run_id), FINISHED, timeout)

    def runs(self, job_id: int) -> list[dict[str, Any]]:
        """Every run of the job, oldest first, page by page (a page holds at most 100)."""
        runs: list[dict[str, Any]] = []
        while True:
            params = {"job_definition_id": job_id, "order_by": "id", "limit": 100, "offset": len(runs)}
            body = self._call("GET", f"/api/v2/accounts/{ACCOUNT_ID}/runs/", params=params).json()
            runs += body["data"]
            if len(runs) >= body["extra"]["pagination"]["total_count"]:
                return runs

    def artifact(self, run_id: int, path: str, step: int | None = None) -> dict[str, Any]:
        params = {"step": step} if step else {}
        return self._call("GET", f"/api/v2/accounts/{ACCOUNT_ID}/runs/{run_id}/artifacts/{path}", params=params).json()

    def trigger(self, job_id: int, cause: str) -> dict[str, Any]:
        body = {"cause": cause}
        return self._call("POST", f"/api/v2/accounts/{ACCOUNT_ID}/jobs/{job_id}/run/", json=body).json()["data"]

    def cancel(self, run_id: int) -> None:
        self._call("POST", f"/api/v2/accounts/{ACCOUNT_ID}/runs/{run_id}/cancel/")

    def reset_job(self, job_id: int) -> None:
        """Bring back a demo job's initial state (job 333: the late data has not landed)."""
        self._call("POST", f"/_emulator/jobs/{job_id}/reset")

    def step_index(self, run_id: int, command: str) -> int:
        """The index of the run step that ran `command`, named as dbt Cloud names it."""
        [index] = [
            step["index"] for step in self.run(run_id)["run_steps"] if step["name"] == f"Invoke dbt with `{command}`"
        ]
        return index

    def results_by_node(self, run_id: int, command: str = "dbt build") -> dict[str, str]:
        """unique_id -> status, from the run_results.json of the step that ran `command`."""
        run_results = self.artifact(run_id, "run_results.json", self.step_index(run_id, command))
        return {result["unique_id"]: result["status"] for result in run_results["results"]}
