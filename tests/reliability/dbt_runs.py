"""Which dbt Cloud runs a DAG run started, matched to its tasks by the key in each run's cause."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

from include.dbt_cloud.operators import ResilientDbtCloudRunJobOperator, _key_tag, _task_key


def run_ids(dbt_cloud, job_ids) -> set[int]:
    return {run["id"] for job_id in job_ids for run in dbt_cloud.runs(job_id)}


def new_runs(dbt_cloud, job_ids, before: set[int]) -> list[dict[str, Any]]:
    """The runs created since `before`, with their trigger (cause)."""
    return [dbt_cloud.run(run_id) for run_id in sorted(run_ids(dbt_cloud, job_ids) - before)]


def tag_of(dag_run, task_id: str, map_index: int = -1, first_try: int = 1) -> str:
    """The key tag the operator puts in its runs' cause, for a task of a DAG run (never cleared by default)."""
    return _key_tag(_task_key(dag_run.dag_id, dag_run.run_id, task_id, map_index, first_try))


def runs_of_task(dbt_cloud, job_id: int, dag_id: str, dag_run_id: str, task_id: str,
                 first_tries: tuple[int, ...] = (1,)) -> list[dict[str, Any]]:
    """The job's runs that carry a task's key (by default never cleared: its first try 1; a clear
    begins a key of its own), oldest first, with their trigger (cause)."""
    tags = [tag_of(SimpleNamespace(dag_id=dag_id, run_id=dag_run_id), task_id, first_try=first) for first in first_tries]
    runs = [dbt_cloud.run(run["id"]) for run in dbt_cloud.runs(job_id)]
    return [run for run in runs if any(tag in run["trigger"]["cause"] for tag in tags)]


def triggering_tasks(dag) -> list[str]:
    return [task.task_id for task in dag.tasks if isinstance(task, ResilientDbtCloudRunJobOperator)]


def runs_per_task(dag, dag_run, runs: list[dict[str, Any]]) -> Counter[str]:
    """task_id -> how many of `runs` carry that task's key ("(none)" for runs carrying no key)."""
    tags = {tag_of(dag_run, task_id): task_id for task_id in triggering_tasks(dag)}
    counts: Counter[str] = Counter()
    for run in runs:
        cause = run["trigger"]["cause"]
        counts[next((task_id for tag, task_id in tags.items() if tag in cause), "(none)")] += 1
    return counts
