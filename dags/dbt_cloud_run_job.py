"""
### Run a dbt Cloud job and wait for it

The starting point: trigger one dbt Cloud job, wait until the run finishes, and fail the task
if the run fails. The operator is the official provider's `DbtCloudRunJobOperator`, through its
subclass `ResilientDbtCloudRunJobOperator`: same arguments, XComs and link, plus the fault
handling described under **Faults** below.
Use it whenever a dbt Cloud job must run at a point in an Airflow pipeline.

- **Which job:** the job id comes from `DBT_CLOUD_JOB_ID` and the account id from
  `DBT_CLOUD_ACCOUNT_ID` (`.env`, read by `include/dbt_cloud/config.py`); the account id and
  the connection reach every dbt Cloud operator through `default_args`
  (`include/dbt_cloud/defaults.py`). With no `.env` they point at the bundled emulator's demo
  job 111 "Build all models"; set your own to run against dbt Cloud.
- **Monitor Job Run:** the task's extra link (task instance > Details) opens the run in dbt Cloud.
- **check_interval=6:** the operator checks the run's status every 6 seconds (every example DAG
  does, through `default_args`). The provider's default of 60 s adds up to a minute of latency to
  every run: `make bench` measured a 63 s job taking 120 s in Airflow with it (ratio 1.91),
  1.05 at 5 s but with 1.12 status calls per 5 s of run; 6 s keeps the ratio near 1.06 at under
  one status call per 5 s. That is 10 calls a minute per waiting task; dbt Cloud allows about
  5,000 a minute per account, so raise it if you wait on hundreds of runs at once.
- **timeout=30 minutes:** how long the task waits for the run (the provider's default is 7 days).
  This job usually takes about 2 minutes, so 30 minutes means it is stuck: the task then fails
  at once, without retries, naming the run, which goes on in dbt Cloud. `execution_timeout`
  (1 h, `default_args`) instead cancels the run, and a retry starts a new one: docs/timeouts.md.
- When a run fails, the task log shows the failed step and the dbt models or tests that failed
  (`include/dbt_cloud/callbacks.py`).
- **Faults (every example DAG):** `ResilientDbtCloudRunJobOperator` (`include/dbt_cloud/operators.py`)
  is the provider's operator plus: API calls retry 429 (after its Retry-After), 5xx, dropped
  connections and timeouts (about a minute of trouble; `hook_params` does the same for the
  deferrable wait); a trigger is never re-sent blindly, and every run's `cause` carries the
  task's key (`[airflow-task ...]`), so a retry (`retries=2`) re-attaches to the run an earlier
  try started, even one that already succeeded, instead of running the job twice. A failed or
  cancelled run is run again by the retry; clearing the task always runs it again. 401, 403,
  404 and 400 fail at once, without retries, naming the fix. Stopping the task (timeout, mark
  failed, clear) cancels its run, deferrable or not. `reuse_existing_run` is not needed for
  this (it joins any run of the job in progress, whoever started it): see `dbt_cloud_chained_jobs`.
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
        job_id=settings.job_id,
        check_interval=6,
        timeout=30 * 60,
    )


dbt_cloud_run_job()
