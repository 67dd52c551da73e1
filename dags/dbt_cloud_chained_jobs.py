"""
### Chain dbt Cloud jobs, without duplicate runs

Some jobs must only start after another finished: here "Publish marts" (`publish_marts` in
dbt_cloud_jobs.yml, demo job 444) runs after "Build all models" (`build_all`, demo job 111) succeeded.
The dependency is an ordinary Airflow edge, so the chain can also include non-dbt tasks
(a load before, a notification after), and a failure stops everything downstream of it.

**reuse_existing_run=True** on both tasks: before triggering, the operator asks dbt Cloud for
a run of the job that is still queued, starting or running, and if there is one it waits for
that run instead of starting another. This matters on an Airflow retry: if the worker running
the task died while its run carried on in dbt Cloud, the retry
re-attaches to the run in progress instead of queueing a duplicate behind it (twice the cost,
and the downstream job would wait for both). It also joins a run someone started by hand or
from a dbt Cloud schedule. Leave it off when every DAG run must have a run of its own.
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
    tags=["dbt-cloud", "dependencies"],
)
def dbt_cloud_chained_jobs():
    build_all_models = ResilientDbtCloudRunJobOperator(
        task_id="build_all_models",
        job_id=settings.job_id("build_all"),  # the id .env pins, else the job tagged [[build_all]]
        reuse_existing_run=True,
    )
    publish_marts = ResilientDbtCloudRunJobOperator(
        task_id="publish_marts",
        job_id=settings.job_id("publish_marts"),  # the id .env pins, else the job tagged [[publish_marts]]
        reuse_existing_run=True,
    )
    build_all_models >> publish_marts


dbt_cloud_chained_jobs()
