"""Helpers for driving the emulator with the real dbt Cloud provider hook."""

from __future__ import annotations

from typing import Any

import requests
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook


CHECK_INTERVAL = 1
RUN_TIMEOUT = 600


def hook(conn_id: str = "dbt_cloud_default") -> DbtCloudHook:
    return DbtCloudHook(conn_id)


def flatten(responses) -> list[dict[str, Any]]:
    return [item for response in responses for item in response.json()["data"]]


def run_with_steps(dbt_hook: DbtCloudHook, run_id: int) -> dict[str, Any]:
    return dbt_hook.get_job_run(run_id, include_related=["run_steps", "trigger"]).json()["data"]


def results_by_node(dbt_hook: DbtCloudHook, run_id: int, step: int) -> dict[str, str]:
    run_results = dbt_hook.get_job_run_artifact(run_id, path="run_results.json", step=step).json()
    return {result["unique_id"]: result["status"] for result in run_results["results"]}


def reset_job(emulator, job_id: int) -> None:
    response = requests.post(f"{emulator.url}/_emulator/jobs/{job_id}/reset", verify=str(emulator.trust_bundle), timeout=30)
    response.raise_for_status()


