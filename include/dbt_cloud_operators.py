"""The provider's dbt Cloud operator and sensor, with the template's guarantees under faults.

`ResilientDbtCloudRunJobOperator` is `DbtCloudRunJobOperator` (same arguments, same XComs and
"Monitor Job Run" link) plus:
- Transient API errors (429 after its Retry-After, 5xx, dropped connections, timeouts) are
  retried instead of failing the task (include/dbt_cloud_hook.py).
- One dbt Cloud run per task, whatever happens to the task: the run's `cause` carries a key
  of the task in its DAG run (`[airflow-task <key>]`, from DAG id, DAG run id, task id, map
  index and the DAG run's clear count). Before triggering, the operator looks for a run with
  its key among the job's latest 100 runs; if that run is queued, running or succeeded (an
  earlier try triggered it, then the worker died, the task timed out waiting, or the trigger's
  answer was lost on the way) it adopts it instead of starting a duplicate. If it failed or
  was cancelled, this try needs a run of its own and triggers one. A trigger that got no
  answer is never repeated blindly: the operator looks for the key first.
  With `retry_from_failure`, a rerun carries no cause: the operator follows its failed run to
  the rerun dbt Cloud made of it (the next run of the job, a rerun of that run) and adopts it
  the same way, so a rerun whose answer was lost is not followed by a fresh run.
  Clearing the task changes the key (the clear count), so a cleared task runs dbt again.
- Stopping the task cancels its run in every mode: execution_timeout and on_kill in the
  provider; a deferred task marked failed or cleared through CancellingDbtCloudRunJobTrigger.
- In deferrable mode the wait ends in error only if the run failed (include/dbt_cloud_trigger.py).

`ResilientDbtCloudJobRunSensor` is `DbtCloudJobRunSensor` with the same retries and waits.
"""

from __future__ import annotations

import hashlib
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus
from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator
from airflow.providers.dbt.cloud.sensors.dbt import DbtCloudJobRunSensor
from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger

from include.dbt_cloud_hook import DbtCloudUnreachable, ResilientDbtCloudHook, TransientDbtCloudError
from include.dbt_cloud_trigger import CancellingDbtCloudRunJobTrigger, VerifiedDbtCloudRunTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

MAX_CAUSE_LENGTH = 255  # dbt Cloud's limit on a run's cause
RECENT_RUNS = 100  # how far back (runs of the job, newest first) an earlier try's run is looked for
TRIGGER_ATTEMPTS = 5
UNANSWERED = (TransientDbtCloudError, DbtCloudUnreachable)
FAILED = frozenset({DbtCloudJobRunStatus.ERROR.value, DbtCloudJobRunStatus.CANCELLED.value})


def task_key(context: Context) -> str:
    """Names this task in this DAG run until the task is cleared; the same for each of its tries."""
    ti = context["ti"]
    identity = f"{ti.dag_id}\n{ti.run_id}\n{ti.task_id}\n{ti.map_index}\n{context['dag_run'].clear_number or 0}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def key_tag(key: str) -> str:
    return f"[airflow-task {key}]"


def cause_with_key(reason: str, key: str, context: Context) -> str:
    """The trigger reason, the DAG run and try (for people), and the key (for the lookup), in 255 characters."""
    tag = key_tag(key)
    details = f"{reason} DAG run {context['ti'].run_id}, try {context['ti'].try_number}."
    return f"{details[: MAX_CAUSE_LENGTH - len(tag) - 1]} {tag}"


def is_rerun_of(run: dict[str, Any], failed: dict[str, Any]) -> bool:
    """Whether `run` is dbt Cloud's rerun (retry from failure) of the run `failed`."""
    if run.get("retrying_run_id") is not None:
        return run["retrying_run_id"] == failed["id"]
    return (run.get("trigger") or {}).get("cause_category") == "rerun"


class _ResilientDbtCloudTask:
    """What the operator and the sensor share: the retrying hook and the verifying trigger."""

    trigger_class: type[VerifiedDbtCloudRunTrigger] = VerifiedDbtCloudRunTrigger

    @cached_property
    def hook(self) -> ResilientDbtCloudHook:
        return ResilientDbtCloudHook(self.dbt_cloud_conn_id, **self.hook_params)

    def defer(self, *, trigger: Any, **kwargs: Any) -> None:
        if type(trigger) is DbtCloudRunJobTrigger:
            trigger = self.trigger_class.from_trigger(trigger)
        super().defer(trigger=trigger, **kwargs)


class ResilientDbtCloudRunJobOperator(_ResilientDbtCloudTask, DbtCloudRunJobOperator):
    """DbtCloudRunJobOperator that never starts a second run for the same task (see the module doc)."""

    trigger_class = CancellingDbtCloudRunJobTrigger

    def _get_or_trigger_run(self, context: Context) -> tuple[int, str]:
        key = task_key(context)
        # The operator object can serve several tries (dag.test()): key the reason execute() set, once.
        self._unkeyed_reason = getattr(self, "_unkeyed_reason", None) or self.trigger_reason
        self.trigger_reason = cause_with_key(self._unkeyed_reason, key, context)
        for attempt in range(1, TRIGGER_ATTEMPTS + 1):
            earlier = self._latest_run_of_this_task(key)
            if earlier is not None and earlier["status"] not in FAILED:
                self.log.info(
                    "dbt Cloud run %s was triggered for this task by an earlier try and is %s: using it "
                    "instead of starting another (%s)", earlier["id"], earlier["status_humanized"], earlier["href"],
                )
                return earlier["id"], earlier["href"]
            try:
                return super()._get_or_trigger_run(context)
            except UNANSWERED as error:
                if attempt == TRIGGER_ATTEMPTS:
                    raise
                self.log.warning(
                    "Triggering dbt Cloud job %s got no answer (%s): checking whether the run was created "
                    "before trying again", self.job_id, error,
                )
                time.sleep(attempt * 2)
        raise AssertionError("unreachable")

    def _latest_run_of_this_task(self, key: str) -> dict[str, Any] | None:
        """The newest run carrying this task's key, or with retry_from_failure the newest rerun of it."""
        payload = {"job_definition_id": self.job_id, "order_by": "-created_at", "limit": RECENT_RUNS,
                   "include_related": ["trigger"]}
        runs = self.hook.get_job_runs(account_id=self.account_id, payload=payload).json()["data"]
        tag = key_tag(key)
        keyed = (i for i, run in enumerate(runs) if tag in ((run.get("trigger") or {}).get("cause") or ""))
        position = next(keyed, None)
        if position is None:
            return None
        latest = runs[position]
        if not self.retry_from_failure:
            return latest
        # dbt Cloud reruns a job's latest run only if it failed, so a rerun of this task's run is the
        # run created right after it (`runs` is newest first).
        for newer in reversed(runs[:position]):
            if latest["status"] not in FAILED or not is_rerun_of(newer, latest):
                break
            latest = newer
        return latest


class ResilientDbtCloudJobRunSensor(_ResilientDbtCloudTask, DbtCloudJobRunSensor):
    """DbtCloudJobRunSensor whose checks ride out transient API errors; it never cancels the run it watches."""
