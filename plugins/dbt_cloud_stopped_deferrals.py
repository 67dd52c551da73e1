"""Cancels the dbt Cloud run of a deferred task stopped before the triggerer started its wait: an
Airflow listener, registered by the plugin below. Copy this file into your plugins/ with include/dbt_cloud/.

Marking a deferred task failed or success makes the triggerer call its trigger's on_kill, which cancels
the run; but a trigger the triggerer has not started yet is dropped without it. The API server tells
listeners of every such change: this one runs the trigger's on_kill itself (a second cancel is harmless).
A clear is not heard: the cleared task's next try cancels its stopped tries' runs (the operator). Row L1
of the provider gaps, a gap of Airflow itself, not fixed yet.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from include.dbt_cloud.trigger import ResilientDbtCloudRunJobTrigger

log = logging.getLogger(__name__)


@hookimpl
def on_task_instance_failed(previous_state: Any, task_instance: Any, error: Any) -> None:
    _cancel_run_of_stopped_deferral(task_instance, TaskInstanceState.FAILED)


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    _cancel_run_of_stopped_deferral(task_instance, TaskInstanceState.SUCCESS)


def _cancel_run_of_stopped_deferral(task_instance: Any, new_state: TaskInstanceState) -> None:
    trigger = trigger_to_cancel(task_instance, new_state)
    if trigger is None:
        return
    log.info("%s was set to %s while deferred: cancelling its dbt Cloud run %s",
             task_instance.task_id, new_state.value, trigger.run_id)
    # Off the request thread: the cancel may retry for several seconds.
    threading.Thread(target=asyncio.run, args=(trigger.on_kill(),), name=f"cancel-dbt-cloud-run-{trigger.run_id}",
                     daemon=True).start()


def trigger_to_cancel(task_instance: Any, new_state: TaskInstanceState) -> ResilientDbtCloudRunJobTrigger | None:
    """The run-cancelling trigger a task instance just set to `new_state` was deferred on, if any."""
    # Only the API server's task instances (database rows) keep the trigger of a stopped deferral;
    # a task process's own instance has none, and a retry (up_for_retry) must keep its run.
    if getattr(task_instance, "trigger_id", None) is None or task_instance.state != new_state:
        return None
    from include.dbt_cloud.trigger import ResilientDbtCloudRunJobTrigger  # not at plugin load: it imports the provider

    row = task_instance.trigger
    if row is None or row.classpath != ResilientDbtCloudRunJobTrigger.classpath() or not row.kwargs.get("cancel_on_kill"):
        return None
    return ResilientDbtCloudRunJobTrigger(**row.kwargs)


class DbtCloudStoppedDeferralsPlugin(AirflowPlugin):
    name = "dbt_cloud_stopped_deferrals"
    listeners = [sys.modules[__name__]]
