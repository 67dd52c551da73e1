"""Bench-only DAGs for the overhead benchmark: one dbt Cloud operator each, as bench/overhead_worker.py asks.

The worker puts the DAGs it wants in BENCH_OVERHEAD_DAGS (JSON: dag_id, job_id, operator settings and
which operator: the provider's DbtCloudRunJobOperator, or the template's ResilientDbtCloudRunJobOperator,
whose deferred wait joins the triggerer's status board); without it this file defines only the warm-up DAG.
"""

from __future__ import annotations

import json
import os
from datetime import datetime

from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator
from airflow.sdk import DAG, dag, task

from include.dbt_cloud import ResilientDbtCloudRunJobOperator

OPERATORS = {"provider": DbtCloudRunJobOperator, "template": ResilientDbtCloudRunJobOperator}

WARMUP_DAG_ID = "bench_overhead_warmup"


@dag(dag_id=WARMUP_DAG_ID, schedule=None, start_date=datetime(2025, 1, 1), catchup=False, tags=["bench"])
def bench_overhead_warmup():
    """Run once per process before measuring: dag.test() builds its in-process execution API on first use."""

    @task
    def nothing() -> None:
        return None

    nothing()


bench_overhead_warmup()

for spec in json.loads(os.environ.get("BENCH_OVERHEAD_DAGS", "[]")):
    with DAG(dag_id=spec["dag_id"], schedule=None, start_date=datetime(2025, 1, 1), catchup=False,
             tags=["bench"]) as dag:
        OPERATORS[spec["operator"]](task_id="run_job", job_id=spec["job_id"], account_id=spec["account_id"],
                                    retries=0, **spec["settings"])
    globals()[spec["dag_id"]] = dag
