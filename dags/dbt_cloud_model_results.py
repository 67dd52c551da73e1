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

from datetime import datetime

from airflow.sdk import TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include.dbt_cloud import (
    DBT_CLOUD_MODELS,
    DEFAULT_ARGS,
    ModelOutcome,
    ResilientDbtCloudHook,
    ResilientDbtCloudRunJobOperator,
    dbt_model_asset,
    model_outcomes,
    node_results,
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
