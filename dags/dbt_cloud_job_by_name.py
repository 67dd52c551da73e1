"""
### Run a dbt Cloud job by its name

Job ids differ between dbt Cloud accounts and change when a job is recreated; names are what
people see and keep stable. Give the operator `project_name`, `environment_name` and `job_name`
instead of `job_id` and it looks the id up when the task runs (three small API calls: project,
environment, then job).

Use it when the same DAG runs against several dbt Cloud accounts (dev, prod) whose jobs share
names, or when the id is not known in advance. Each name must match exactly one project,
environment and job: the same job name in two environments is fine (the demo has "Build all
models [[build_all]]" in Production and Staging), but two jobs with one name in one environment
fail the task with a `DbtCloudResourceLookupError`. The other DAGs find their jobs by the
jobs-as-code tag alone (`job_id="[[build_all]]"`), which survives a rename in dbt_cloud_jobs.yml.

Names: `DBT_CLOUD_PROJECT_NAME`, `DBT_CLOUD_ENVIRONMENT_NAME`, `DBT_CLOUD_JOB_NAME`.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag

from include.dbt_cloud import DEFAULT_ARGS, ResilientDbtCloudRunJobOperator, settings


@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["dbt-cloud", "lookup"],
)
def dbt_cloud_job_by_name():
    ResilientDbtCloudRunJobOperator(
        task_id="run_job_by_name",
        project_name=settings.project_name,
        environment_name=settings.environment_name,
        job_name=settings.job_name,
    )


dbt_cloud_job_by_name()
