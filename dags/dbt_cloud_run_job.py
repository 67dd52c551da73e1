"""
### Run a dbt Cloud job and wait for it

**What:** trigger one dbt Cloud job, wait until its run finishes, fail the task if the run fails;
the run's page is behind the task's **Monitor Job Run** link.

**When:** whenever a dbt Cloud job must run at a point in an Airflow pipeline. Start here.

**How:** `default_args` set the connection and the account (`DBT_CLOUD_ACCOUNT_ID`); the task
names its job (`DBT_CLOUD_JOB_ID`, or the job of dbt_cloud_jobs.yml tagged `[[build_all]]`, found
when it runs). `check_interval=6` reads the status every 6 s (the provider's 60 s adds up to a
minute to every run); `timeout=30 * 60` stops waiting after 30 minutes and fails at once, while
the run goes on in dbt Cloud.

What this template adds to the provider's `DbtCloudRunJobOperator`: it rides out dbt Cloud API
faults and never runs the job twice for one task (docs/guarantees.md in this project).
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
    tags=["dbt-cloud", "getting-started"],
)
def dbt_cloud_run_job():
    ResilientDbtCloudRunJobOperator(
        task_id="run_dbt_cloud_job",
        job_id=settings.job_id("build_all"),  # the id .env pins, else the job tagged [[build_all]]
        check_interval=6,
        timeout=30 * 60,
    )


dbt_cloud_run_job()
