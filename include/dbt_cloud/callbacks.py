"""A task callback that says where a dbt Cloud run failed: its link, failed steps and dbt nodes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airflow.sdk.exceptions import AirflowException
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus

from .artifacts import failed_nodes, get_artifact
from .hook import ResilientDbtCloudHook

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)


def report_dbt_cloud_failure(context: Context) -> None:
    """Log the failed run's link, each failed step and the dbt nodes that failed in it.

    Works for DbtCloudRunJobOperator and DbtCloudJobRunSensor (both keep the run id in
    `run_id`); other tasks, and dbt Cloud tasks that failed before a run started, are ignored.
    Only ids, names and dbt messages are logged: never the connection or its token.
    """
    task = context["task"]
    run_id = getattr(task, "run_id", None)
    if run_id is None:
        return
    run_id = int(run_id)
    account_id = task.account_id
    hook = ResilientDbtCloudHook(task.dbt_cloud_conn_id)
    run = hook.get_job_run(run_id=run_id, account_id=account_id, include_related=["run_steps"]).json()["data"]
    log.error("dbt Cloud run %s is %s: %s", run_id, run["status_humanized"], run["href"])

    for step in run.get("run_steps") or []:
        if step["status"] != DbtCloudJobRunStatus.ERROR.value:
            continue
        log.error("dbt Cloud run %s failed at step %s: %s: %s", run_id, step["index"], step["name"], step["status_message"])
        try:
            run_results = get_artifact(hook, run_id, "run_results.json", account_id=account_id, step=step["index"])
        except AirflowException as error:  # e.g. the step failed before dbt wrote run_results.json
            log.warning("No run_results.json for step %s of run %s (%s)", step["index"], run_id, error)
            continue
        for node in failed_nodes(run_results):
            log.error("dbt node %s: %s: %s", node["unique_id"], node["status"], node.get("message"))
