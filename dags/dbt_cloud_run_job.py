"""
### Run a dbt Cloud job and wait for it

**What:** trigger one dbt Cloud job, wait until its run finishes, fail the task if the run fails.
`ResilientDbtCloudRunJobOperator` is the provider's `DbtCloudRunJobOperator` (same arguments,
XComs and **Monitor Job Run** link) that also rides out API faults and never runs the job twice
for one task ([docs/guarantees.md](docs/guarantees.md)).

**When:** whenever a dbt Cloud job must run at a point in an Airflow pipeline. Start here.

**How:**
- The job is `build_all` of `dbt_cloud_jobs.yml` (`make jobs-sync` creates it): the task finds it
  when it runs, by the `[[build_all]]` in its name, in `DBT_CLOUD_PROJECT_ID` /
  `DBT_CLOUD_ENVIRONMENT_ID` if set; `DBT_CLOUD_JOB_ID` pins an id instead. The account id and
  connection come from `default_args` (`include/dbt_cloud/defaults.py`); with no `.env`, the bundled
  emulator's demo job 111 runs.
- `check_interval=6`: the run's status is read every 6 s (the provider's 60 s adds up to a minute
  to every run; measured in bench/README.md).
- `timeout=30 * 60`: stop waiting after 30 minutes (the provider's default is 7 days) and fail at
  once, not retried; the run goes on in dbt Cloud, behind the link. `execution_timeout` (1 h, in
  `default_args`) cancels the run instead, and a retry starts a new one: docs/timeouts.md.
- A failed run's task log shows the failed step and dbt nodes. Copy this file and
  `include/dbt_cloud/` into your project: README, "Use it in your own project".
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
        job_identifier="build_all",  # the job of dbt_cloud_jobs.yml, found when the task runs
        job_id=settings.job_id,  # DBT_CLOUD_JOB_ID: None unless .env pins an id
        check_interval=6,
        timeout=30 * 60,
    )


dbt_cloud_run_job()
