"""The DbtCloudRunJobOperator settings the template's example DAGs use, read off the DAGs themselves.

So the benchmarks measure what the template ships, and follow it when a DAG's settings change.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_DEFAULTS = {"check_interval": 60, "timeout": 7 * 24 * 3600, "deferrable": False}
# mode -> (example DAG, task id) whose operator settings the mode copies; None: the provider's defaults.
MODE_SOURCES = {
    "provider_defaults": None,
    "template_sync": ("dbt_cloud_run_job", "run_dbt_cloud_job"),
    "template_deferrable": ("dbt_cloud_deferrable", "run_job_deferrable"),
}


def operator_settings(mode: str) -> dict:
    """check_interval, timeout and deferrable for a mode (needs the emulator's connection env to parse the DAGs)."""
    source = MODE_SOURCES[mode]
    if source is None:
        return dict(PROVIDER_DEFAULTS)
    from airflow.dag_processing.dagbag import DagBag

    dag_id, task_id = source
    bag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py"))
    if bag.import_errors:
        raise SystemExit(f"dags/{dag_id}.py does not import: {bag.import_errors}")
    task = bag.dags[dag_id].get_task(task_id)
    return {name: getattr(task, name) for name in PROVIDER_DEFAULTS}
