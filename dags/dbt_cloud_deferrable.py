"""
### Wait for dbt Cloud without holding a worker slot

A dbt Cloud job can run for minutes or hours. A normal operator sleeps in a worker slot the
whole time; a **deferrable** one hands the waiting to Airflow's triggerer (one async process
that polls thousands of runs cheaply) and frees the slot until the run ends. Use this when
dbt Cloud jobs are long, or many run at once, and worker slots are scarce. It needs a running
triggerer (`astro dev start` and `make start` run one).

Two equivalent forms, side by side:

- `run_job_deferrable`: `DbtCloudRunJobOperator(deferrable=True)`: trigger and wait in one task.
- `trigger_job` >> `wait_for_job`: trigger with `wait_for_termination=False` (the task ends as
  soon as the run is created and returns its id), then `DbtCloudJobRunSensor(deferrable=True)`
  waits for that run. Use it to do other work between triggering and waiting, or to wait for a
  run with a different timeout, retries or pool than the trigger.

(Here through the template's `Resilient...` subclasses of both: same arguments, plus the fault
handling described in `dbt_cloud_run_job`; in deferrable mode, stopping the task cancels its run.)
Both poll every 6 s (see `dbt_cloud_run_job` for why). Both runs start together; dbt Cloud
queues the second run of the same job behind the first, and the waiting tasks simply wait longer.
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
        job_id=settings.job_id,
        deferrable=True,
    )

    trigger_job = ResilientDbtCloudRunJobOperator(
        task_id="trigger_job",
        job_id=settings.job_id,
        wait_for_termination=False,
    )
    ResilientDbtCloudJobRunSensor(
        task_id="wait_for_job",
        run_id=trigger_job.output,
        deferrable=True,
        poke_interval=10,
    )


dbt_cloud_deferrable()
