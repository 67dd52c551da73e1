"""
### Run a dbt Cloud job and wait for it

The starting point: trigger one dbt Cloud job with the official provider's
`DbtCloudRunJobOperator`, wait until the run finishes, and fail the task if the run fails.
Use it whenever a dbt Cloud job must run at a point in an Airflow pipeline.

- **Which job:** the job id comes from `DBT_CLOUD_JOB_ID` and the account id from
  `DBT_CLOUD_ACCOUNT_ID` (`.env`, read by `include/dbt_cloud_settings.py`); the account id and
  the connection reach every dbt Cloud operator through `default_args`
  (`include/dbt_cloud_defaults.py`). With no `.env` they point at the bundled emulator's demo
  job 111 "Build all models"; set your own to run against dbt Cloud.
- **Monitor Job Run:** the task's extra link (task instance > Details) opens the run in dbt Cloud.
- **check_interval=10:** the operator checks the run's status every 10 seconds. The provider's
  default of 60 s adds up to a minute of latency to every run, half of a typical 2-minute job;
  10 s costs a handful of small API calls per run, far below dbt Cloud's rate limit.
- **timeout=30 minutes:** how long the task waits for the run (the provider's default is 7 days).
  This job usually takes about 2 minutes, so 30 minutes means it is stuck (queued behind other
  runs, a hung query): fail and alert instead of holding a worker slot for days. The timeout
  only stops the waiting; the run itself keeps going in dbt Cloud, behind the link.
- When a run fails, the task log shows the failed step and the dbt models or tests that failed
  (`include/dbt_cloud_callbacks.py`).
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator
from airflow.sdk import dag

from include.dbt_cloud_defaults import DEFAULT_ARGS
from include.dbt_cloud_settings import settings


@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["dbt-cloud", "getting-started"],
)
def dbt_cloud_run_job():
    DbtCloudRunJobOperator(
        task_id="run_dbt_cloud_job",
        job_id=settings.job_id,
        check_interval=10,
        timeout=30 * 60,
    )


dbt_cloud_run_job()
