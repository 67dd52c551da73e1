"""
### Build a subset of models on its own schedule

One dbt Cloud job, several cadences: fast-moving models are tagged `hourly`, the rest `daily`,
and each Airflow DAG runs the same job with `steps_override` selecting its tag
(`dbt build --select tag:hourly`). The job stays a single definition in dbt Cloud (environment,
credentials, dbt version), and the schedule lives in Airflow next to the pipelines that feed it.

This file makes two DAGs from one factory: `dbt_cloud_hourly_models` (at minute 15 of every
hour) and `dbt_cloud_daily_models` (05:30 UTC). The times do not coincide, because dbt Cloud runs
one run of a job at a time and would queue the second. `catchup=False`: a missed hour is not
worth replaying, the next run builds the latest data. Job: `build_tagged` (dbt_cloud_jobs.yml).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, dag

from include.dbt_cloud import DEFAULT_ARGS, ResilientDbtCloudRunJobOperator, settings


def tagged_models_dag(tag: str, schedule: str) -> DAG:
    @dag(
        dag_id=f"dbt_cloud_{tag}_models",
        schedule=schedule,
        start_date=datetime(2025, 1, 1),
        catchup=False,
        default_args=DEFAULT_ARGS,
        doc_md=__doc__,
        tags=["dbt-cloud", "schedule", tag],
    )
    def build_tagged_models():
        ResilientDbtCloudRunJobOperator(
            task_id=f"build_{tag}_models",
            job_id=settings.job_id("build_tagged"),  # the id .env pins, else the job tagged [[build_tagged]]
            steps_override=[f"dbt build --select tag:{tag}"],
        )

    return build_tagged_models()


hourly_models = tagged_models_dag("hourly", "15 * * * *")
daily_models = tagged_models_dag("daily", "30 5 * * *")
