"""
### Rerun a failed dbt Cloud job from the point of failure

**What:** with `retry_from_failure=True`, an Airflow **retry** calls dbt Cloud's rerun endpoint:
dbt Cloud runs `dbt retry`, rebuilding only the nodes that failed and those skipped because of
them, and reusing the failed run's results for the rest.

**When:** a job fails halfway for a passing reason (late data, a warehouse hiccup) and rebuilding
everything again costs time or money.

**How:**
- `retries >= 1` is required: the rerun happens only on a retry, after a run that ended in error.
- `retry_delay=30 s`: set it to how long the passing cause usually takes to clear.
- `steps_override`, `schema_override` and `additional_run_config` are ignored on a rerun.

Demo: the emulator's job `build_with_retry` (333) fails its first run (its FX rates have not
landed), then the retry rebuilds just those nodes. Reset it: `POST /_emulator/jobs/<id>/reset`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag

from include.dbt_cloud import DEFAULT_ARGS, ResilientDbtCloudRunJobOperator, settings


@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["dbt-cloud", "retry"],
)
def dbt_cloud_retry_from_failure():
    ResilientDbtCloudRunJobOperator(
        task_id="build_with_late_data",
        job_id=settings.job_id("build_with_retry"),  # the id .env pins, else the job tagged [[build_with_retry]]
        retry_from_failure=True,
        retries=2,
        retry_delay=timedelta(seconds=30),
    )


dbt_cloud_retry_from_failure()
