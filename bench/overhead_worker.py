"""One overhead measurement process: runs small bench-only DAGs with dag.test() and prints what happened.

    python -m bench.overhead_worker '{"runs": [{"mode": "template_sync", "job_id": 999}], "interval_cap": null,
                                      "not_before": 0}'

The caller gives each process its own AIRFLOW_HOME (a migrated SQLite DB), the DAGs folder
bench/dags/, and the emulator's connection and trust bundle. Each DAG has one operator with the
mode's settings (bench/template_settings.py): the provider's DbtCloudRunJobOperator for the provider's
defaults, the template's ResilientDbtCloudRunJobOperator for the template's modes. A warm-up DAG runs
first, so the measured tasks do not include dag.test()'s one-time set-up; the first measured run starts
no earlier than `not_before` (epoch s: the job's earlier run has ended by then).
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench.template_settings import MODE_SOURCES, ROOT, operator_settings
from local_runner.demo_tenant import ACCOUNT_ID

BENCH_DAGS = ROOT / "bench" / "dags"  # the caller sets AIRFLOW__CORE__DAGS_FOLDER to it
WARMUP_DAG_ID = "bench_overhead_warmup"


def bench_dag_bag():
    """bench/dags/bench_overhead.py as Airflow loads it (dag.test() also syncs that folder to the DB first)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(BENCH_DAGS / "bench_overhead.py"))
    if bag.import_errors:
        raise SystemExit(f"bench/dags/bench_overhead.py does not import: {bag.import_errors}")
    return bag


def bench_dag(dag_id: str, job_id: int, settings: dict, operator: str):
    os.environ["BENCH_OVERHEAD_DAGS"] = json.dumps([{"dag_id": dag_id, "job_id": job_id, "account_id": ACCOUNT_ID,
                                                     "settings": settings, "operator": operator}])
    return bench_dag_bag().dags[dag_id]


def run_one(mode: str, job_id: int, interval_cap: float | None) -> dict:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    settings = operator_settings(mode)
    if interval_cap is not None:  # quick runs (the bench's own test) only check the machinery works
        settings["check_interval"] = min(settings["check_interval"], interval_cap)
    operator = "provider" if MODE_SOURCES[mode] is None else "template"  # each mode with its own operator
    dag_run = bench_dag(f"bench_overhead_{mode}_job_{job_id}", job_id, settings, operator).test()
    ti = dag_run.get_task_instance("run_job")
    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id,
                                                  task_ids="run_job", key="job_run_id")).all()
    return {
        "mode": mode, "job_id": job_id, "settings": settings, "state": str(ti.state),
        "task_started": ti.start_date.timestamp(), "task_ended": ti.end_date.timestamp(),
        "dbt_run_id": XComModel.deserialize_value(rows[0]) if rows else None,
    }


def main(spec: dict) -> None:
    bench_dag_bag().dags[WARMUP_DAG_ID].test()  # so no measured task pays dag.test()'s one-time set-up
    time.sleep(max(0.0, spec.get("not_before", 0.0) - time.time()))
    for run in spec["runs"]:
        print("BENCH_RESULT " + json.dumps(run_one(run["mode"], run["job_id"], spec.get("interval_cap"))), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
