"""Cancels the dbt Cloud run of a deferred task that is stopped before the triggerer started its wait.

An Airflow listener module, registered by plugins/dbt_cloud_stopped_deferrals.py.

Marking a deferred task failed (or success) in the UI or through the REST API ends its wait: the
triggerer calls the trigger's on_kill (include/dbt_cloud/trigger.py), which cancels the run. A
trigger the triggerer has not started yet (the task deferred a moment ago, or the triggerer is busy
or down) is dropped instead, and its run would go on. The API server tells listeners about every
such change; this one runs the trigger's on_kill itself, for the triggers of
ResilientDbtCloudRunJobOperator (a sensor's never cancels). If the triggerer had started the wait
too, the run gets two cancel requests, which dbt Cloud answers alike.

No listener hears a clear: a cleared task's next try cancels the runs of its stopped tries
(include/dbt_cloud/operators.py).

Row L1 of docs/provider-gaps.md: a gap of Airflow itself (a trigger dropped before it ran gets no
on_kill); no provider or Airflow version fixes it yet.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

from airflow.listeners import hookimpl
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from .trigger import ResilientDbtCloudRunJobTrigger

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
    from .trigger import ResilientDbtCloudRunJobTrigger

    row = task_instance.trigger
    if row is None or row.classpath != ResilientDbtCloudRunJobTrigger.classpath() or not row.kwargs.get("cancel_on_kill"):
        return None
    return ResilientDbtCloudRunJobTrigger(**row.kwargs)
