"""
### See each dbt model's outcome in Airflow, as tasks and assets

**What:** a dbt Cloud job is one task in Airflow. This DAG opens the run's artifacts and brings
each model into Airflow: one mapped task per model, and an asset event per model built.

**When:** people watch Airflow, not dbt Cloud, or other DAGs should start when one model is fresh.

**How:**
1. `build_models` runs the job (`build_all`).
2. `collect_model_results` reads `run_results.json` and `manifest.json` of each step that ran
   `dbt build`/`run`/`test`, even when the job failed (`trigger_rule=all_done`).
3. `record_model` (mapped, named after each model) succeeds, fails or is skipped as the model did.
4. Each model built emits an asset event for `dbt-cloud://<account>/<unique_id>` (through the
   `dbt_cloud_models` alias) with rows affected, build time and the run link: see
   `dbt_cloud_orders_consumer`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypedDict

from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook, DbtCloudJobRunStatus
from airflow.sdk import TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include.dbt_cloud import (
    DBT_CLOUD_MODELS,
    DEFAULT_ARGS,
    ResilientDbtCloudHook,
    ResilientDbtCloudRunJobOperator,
    dbt_model_asset,
    settings,
)

@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["dbt-cloud", "assets", "artifacts"],
)
def dbt_cloud_model_results():
    build_models = ResilientDbtCloudRunJobOperator(
        task_id="build_models",
        job_id=settings.job_id("build_all"),  # the id .env pins, else the job tagged [[build_all]]
    )

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def collect_model_results(job_run_id: int, job_run_url: str) -> list[ModelOutcome]:
        hook = ResilientDbtCloudHook(settings.conn_id)  # artifacts downloads ride out API hiccups too
        run_results, manifest = node_results(hook, job_run_id, account_id=settings.account_id)
        return model_outcomes(run_results, manifest, job_run_url)

    @task(outlets=[DBT_CLOUD_MODELS], map_index_template="{{ model_name }}")
    def record_model(model: ModelOutcome) -> None:
        context = get_current_context()
        context["model_name"] = model["name"]  # names the mapped task instance in the UI
        if model["status"] == "skipped":
            raise AirflowSkipException(f"{model['unique_id']} was skipped: an upstream node failed.")
        if model["status"] != "success":
            raise AirflowFailException(f"{model['unique_id']} {model['status']}: {model['message']}")
        context["outlet_events"][DBT_CLOUD_MODELS].add(
            dbt_model_asset(model["unique_id"]),
            extra={
                "relation_name": model["relation_name"],
                "rows_affected": model["rows_affected"],
                "execution_time": model["execution_time"],
                "dbt_cloud_run_url": model["run_url"],
            },
        )

    # The operator pushes job_run_id and job_run_url as soon as the run starts, even if it fails.
    models = collect_model_results(build_models.output["job_run_id"], build_models.output["job_run_url"])
    record_model.expand(model=models)


dbt_cloud_model_results()


# Reading the run's artifacts (run by collect_model_results)

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
        def artifact(path: str) -> dict[str, Any]:  # of this step (1-based; dbt Cloud defaults to the last)
            return hook.get_job_run_artifact(run_id=run_id, path=path, account_id=account_id, step=step["index"]).json()

        results.update((result["unique_id"], result) for result in artifact("run_results.json")["results"])
        manifest = artifact("manifest.json")
    return {"results": list(results.values())}, manifest


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
