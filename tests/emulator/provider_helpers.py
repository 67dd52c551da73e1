"""Helpers for driving the emulator with the real dbt Cloud provider hook."""

from __future__ import annotations

import json
import time
from typing import Any

import requests
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook

ACCOUNT_ID = 12345
OTHER_ACCOUNT_ID = 54321
CHECK_INTERVAL = 1
RUN_TIMEOUT = 600


def hook(conn_id: str = "dbt_cloud_default") -> DbtCloudHook:
    return DbtCloudHook(conn_id)


def flatten(responses) -> list[dict[str, Any]]:
    return [item for response in responses for item in response.json()["data"]]


def run_with_steps(dbt_hook: DbtCloudHook, run_id: int) -> dict[str, Any]:
    return dbt_hook.get_job_run(run_id, include_related=["run_steps", "trigger"]).json()["data"]


def wait_for_status(dbt_hook: DbtCloudHook, run_id: int, statuses: set[int], timeout: float = RUN_TIMEOUT) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = dbt_hook.get_job_run_status(run_id)
        if status in statuses:
            return status
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not reach {statuses} within {timeout} s")


def results_by_node(dbt_hook: DbtCloudHook, run_id: int, step: int) -> dict[str, str]:
    run_results = dbt_hook.get_job_run_artifact(run_id, path="run_results.json", step=step).json()
    return {result["unique_id"]: result["status"] for result in run_results["results"]}


def reset_job(emulator, job_id: int) -> None:
    response = requests.post(f"{emulator.url}/_emulator/jobs/{job_id}/reset", verify=str(emulator.trust_bundle), timeout=30)
    response.raise_for_status()


def connection_json(emulator, *, token: str) -> str:
    return json.dumps({"conn_type": "dbt_cloud", "host": emulator.host, "login": str(ACCOUNT_ID), "password": token})
