"""
### Rerun a failed dbt Cloud job from the point of failure

When a dbt Cloud run fails halfway (a source arrived late, a warehouse hiccup), running the
whole job again rebuilds every model that already succeeded. With `retry_from_failure=True`,
an Airflow **retry** of the task calls dbt Cloud's "rerun" endpoint instead of "run": dbt Cloud
runs `dbt retry`, which rebuilds only the nodes that failed and the nodes that were skipped
because of them, reusing the failed run's results for everything else.

- **retries >= 1 is required:** the provider only asks for a rerun when the task is retried
  (try number > 1) and the job's latest run ended in error. On the first try, or if the latest
  run succeeded, it triggers a normal run. Without retries the option does nothing.
- **retry_delay=30 s:** the retry is cheap (only the failed part reruns), so it can come soon;
  set it to how long the late data or the hiccup usually takes to clear.
- `steps_override`, `schema_override` and `additional_run_config` are ignored on a rerun.

Demo: the emulator's job 333 (`DBT_CLOUD_RETRY_JOB_ID`) fails its first run on purpose: the FX
rates it needs have not landed yet, so `stg_fx_rates` errors and the models after it are
skipped. The rates then land, and the Airflow retry rebuilds just those nodes. Reset the demo
with `POST /_emulator/jobs/333/reset` on the emulator.
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
        job_id=settings.retry_job_id,
        retry_from_failure=True,
        retries=2,
        retry_delay=timedelta(seconds=30),
    )


dbt_cloud_retry_from_failure()
