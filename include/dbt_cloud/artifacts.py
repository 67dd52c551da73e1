"""Read a dbt Cloud run's artifacts (run_results.json, manifest.json) into per-node outcomes."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook, DbtCloudJobRunStatus

# dbt result statuses that mean the node failed (run/build: error; test: fail; freshness: runtime error).
_FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
# dbt commands whose run_results.json reports what happened to the nodes. Not `dbt deps`, and not
# `dbt docs generate`, whose results (the default artifact when a job generates docs, as the last
# step) only say each node compiled.
_NODE_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot", "retry"})
_STEP_COMMAND = re.compile(r"`dbt (\w+)")  # run step names look like "Invoke dbt with `dbt build`"
_FINISHED_STEP = frozenset({DbtCloudJobRunStatus.SUCCESS.value, DbtCloudJobRunStatus.ERROR.value})


class ModelOutcome(TypedDict):
    unique_id: str
    name: str
    relation_name: str | None
    status: str
    execution_time: float
    rows_affected: int | None  # when the adapter reports it (Snowflake, BigQuery...; not DuckDB)
    message: str | None
    run_url: str


def _get_artifact(
    hook: DbtCloudHook, run_id: int, path: str, *, account_id: int | None = None, step: int | None = None
) -> dict[str, Any]:
    """One JSON artifact of a run; `step` is the 1-based run step (dbt Cloud defaults to the last)."""
    return hook.get_job_run_artifact(run_id=run_id, path=path, account_id=account_id, step=step).json()


def node_results(hook: DbtCloudHook, run_id: int, *, account_id: int | None = None) -> tuple[dict, dict]:
    """The run's node results and manifest, from every finished step that ran nodes.

    Returns (run_results, manifest): run_results holds the results of all those steps (for a
    node in several steps, the last one wins, e.g. `dbt run` then `dbt test`), and the manifest
    is the last such step's.
    """
    run = hook.get_job_run(run_id=run_id, account_id=account_id, include_related=["run_steps"]).json()["data"]
    results: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] = {"nodes": {}}
    for step in run.get("run_steps") or []:
        command = _STEP_COMMAND.search(step["name"])
        if not command or command.group(1) not in _NODE_COMMANDS or step["status"] not in _FINISHED_STEP:
            continue
        step_results = _get_artifact(hook, run_id, "run_results.json", account_id=account_id, step=step["index"])
        results.update((result["unique_id"], result) for result in step_results["results"])
        manifest = _get_artifact(hook, run_id, "manifest.json", account_id=account_id, step=step["index"])
    return {"results": list(results.values())}, manifest


def _failed_nodes(run_results: dict[str, Any]) -> list[dict[str, Any]]:
    """The results (models, tests, snapshots, ...) that failed in a run_results.json."""
    return [result for result in run_results["results"] if result["status"] in _FAILED_STATUSES]


def model_outcomes(run_results: dict[str, Any], manifest: dict[str, Any], run_url: str) -> list[ModelOutcome]:
    """What happened to each model of the run (at run_url), with its name and table from the manifest."""
    outcomes: list[ModelOutcome] = []
    for result in run_results["results"]:
        node = manifest["nodes"].get(result["unique_id"], {})
        if node.get("resource_type") != "model":
            continue
        outcomes.append(
            ModelOutcome(
                unique_id=result["unique_id"],
                name=node["name"],
                relation_name=node.get("relation_name"),
                status=result["status"],
                execution_time=result["execution_time"],
                rows_affected=(result.get("adapter_response") or {}).get("rows_affected"),
                message=result.get("message"),
                run_url=run_url,
            )
        )
    return outcomes
