"""
### Wait for dbt Cloud without holding a worker slot

**What:** a deferrable task hands the waiting to Airflow's triggerer (one async process that polls
thousands of runs cheaply) and frees its worker slot until the run ends.

**When:** dbt Cloud jobs are long, or many run at once, and worker slots are scarce. It needs a
running triggerer (`astro dev start` and `make start` run one).

**How:** two equivalent forms, side by side:
- `run_job_deferrable`: `deferrable=True` on the operator: trigger and wait in one task.
- `trigger_job` >> `wait_for_job`: trigger with `wait_for_termination=False` (the task returns
  the run id at once), then a deferrable `ResilientDbtCloudJobRunSensor` waits for that run. Use
  it to do other work in between, or to wait with its own timeout, retries or pool.

Both waits are read by the triggerer's status board, up to 100 runs a request, sparsely while a run
is far from its job's usual length and every 0.5 s near it, whatever their `check_interval` /
`poke_interval` (docs/guarantees.md). Stopping the deferred operator cancels its run; the sensor
only watches.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag

from include.dbt_cloud import (
    DEFAULT_ARGS,
    ResilientDbtCloudJobRunSensor,
    ResilientDbtCloudRunJobOperator,
    settings,
)


@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["dbt-cloud", "deferrable"],
)
def dbt_cloud_deferrable():
    ResilientDbtCloudRunJobOperator(
        task_id="run_job_deferrable",
        job_id=settings.job_id("build_all"),  # the id .env pins, else the job tagged [[build_all]]
        deferrable=True,
    )

    trigger_job = ResilientDbtCloudRunJobOperator(
        task_id="trigger_job",
        job_id=settings.job_id("build_all"),  # the id .env pins, else the job tagged [[build_all]]
        wait_for_termination=False,
    )
    ResilientDbtCloudJobRunSensor(
        task_id="wait_for_job",
        run_id=trigger_job.output,
        deferrable=True,
        poke_interval=10,
    )


dbt_cloud_deferrable()
