"""Bench-only DAG for the capacity benchmark: N mapped ResilientDbtCloudRunJobOperator tasks (the template's), one per dbt Cloud run.

bench/capacity.py triggers it with conf {"operator": {check_interval, timeout, deferrable, job_id, account_id},
"runs": [{"trigger_reason": ..., "additional_run_config": {...}}, ...]}: one mapped task per run,
each with the template's operator settings and its own cause (which says how its run should end).
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, get_current_context, task

from include.dbt_cloud import ResilientDbtCloudRunJobOperator


@dag(schedule=None, start_date=datetime(2025, 1, 1), catchup=False, max_active_tasks=1024, tags=["bench"],
     default_args={"retries": 0})
def bench_capacity():
    @task
    def planned_runs() -> list[dict]:
        conf = get_current_context()["dag_run"].conf
        return [{**conf["operator"], **run} for run in conf["runs"]]

    ResilientDbtCloudRunJobOperator.partial(task_id="run_job").expand_kwargs(planned_runs())


bench_capacity()
