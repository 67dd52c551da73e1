"""The provider's dbt Cloud operator and sensor, with the guarantees of the docs' "Guarantees under faults".

The operator also finds a job by its dbt-jobs-as-code tag when the task runs, starts one run per task (the
run's cause carries the task's key: a retry adopts its try's run, or dbt Cloud's rerun of it, unless it
failed; a clear changes the key), cancels it whenever the task is stopped, and fails at once, without
retries, when its `timeout` ends the wait while the run goes on. Each override names its row of "Provider
gaps and their workarounds" and the provider version that retires it.
"""

from __future__ import annotations

import hashlib
import re
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.dbt.cloud.hooks.dbt import (DbtCloudHook, DbtCloudJobRunException, DbtCloudJobRunStatus,
                                                   DbtCloudResourceLookupError)
from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator
from airflow.providers.dbt.cloud.sensors.dbt import DbtCloudJobRunSensor
from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger
from airflow.sdk.exceptions import AirflowFailException

from .config import settings
from .hook import DbtCloudUnreachableError, ResilientDbtCloudHook, TransientDbtCloudError
from .trigger import ResilientDbtCloudRunJobTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

_MAX_CAUSE_LENGTH = 255  # dbt Cloud's limit on a run's cause
_RECENT_RUNS = 100  # how far back (runs of the job, newest first) an earlier try's run is looked for
_UNANSWERED = (TransientDbtCloudError, DbtCloudUnreachableError)
_FAILED = frozenset({DbtCloudJobRunStatus.ERROR.value, DbtCloudJobRunStatus.CANCELLED.value})
_IN_PROGRESS = frozenset(DbtCloudJobRunStatus.NON_TERMINAL_STATUSES.value)
_TERMINAL = DbtCloudJobRunStatus.TERMINAL_STATUSES.value
_CANCEL_CHECK_SECONDS, _CANCEL_WAIT_SECONDS = 2, 120


# A job found by its dbt-jobs-as-code identifier when the task runs: dbt-jobs-as-code names each job `<name>
# [[<identifier>]]` (or `[[<import filter>:<identifier>]]`), the same in every account and across renames.
_IDENTIFIER_TAG = re.compile(r"\[\[(?:[*\w-]+:)?([\w-]+)\]\]")
_ACTIVE = 1  # a job's state; deleted jobs have 2


class DbtCloudJobLookupError(DbtCloudResourceLookupError, AirflowFailException):
    """No job, or more than one, carries the identifier: failed at once, since a retry would find the same."""


def _identifier_of(job_name: str) -> str | None:
    found = _IDENTIFIER_TAG.search(job_name)
    return found.group(1) if found else None


def _find_job(hook: DbtCloudHook, identifier: str, *, account_id: int | None, project_id: int | None,
             environment_id: int | None, pin: str) -> dict[str, Any]:
    """The one active job whose name carries `[[identifier]]`, in the account and, when given, the
    project and environment. `pin` says how to name a job by id instead (for the error messages)."""
    responses = hook.list_jobs(account_id=account_id, project_id=project_id, environment_id=environment_id,
                               name_contains=identifier)
    jobs = [job for response in responses for job in response.json()["data"]
            if job.get("state", _ACTIVE) == _ACTIVE and _identifier_of(job["name"]) == identifier]
    where = "account " + (str(account_id) if account_id else "of the connection")
    where += f", project {project_id}" if project_id else ", any project"
    where += f", environment {environment_id}" if environment_id else ", any environment"
    if not jobs:
        raise DbtCloudJobLookupError(
            f"No dbt Cloud job has [[{identifier}]] (its dbt-jobs-as-code identifier) in its name in {where}. "
            f"Create the job there with dbt-jobs-as-code (DBT_CLOUD_PROJECT_ID and DBT_CLOUD_ENVIRONMENT_ID say "
            f"where; the docs' \"The template's jobs as code\"), or {pin}."
        )
    if len(jobs) > 1:
        found = ", ".join(f"{job['id']} ({job['name']!r}, environment {job['environment_id']})" for job in jobs)
        raise DbtCloudJobLookupError(
            f"{len(jobs)} dbt Cloud jobs have [[{identifier}]] in their name in {where}: {found}. Set "
            "DBT_CLOUD_PROJECT_ID and DBT_CLOUD_ENVIRONMENT_ID to the environment the DAGs use, delete the "
            f"extra job, or {pin}."
        )
    return jobs[0]


def _task_key(dag_id: str, run_id: str, task_id: str, map_index: int, first_try: int) -> str:
    """Names a task of a DAG run from one clear of it to the next: the same for each of its retries."""
    identity = f"{dag_id}\n{run_id}\n{task_id}\n{map_index}\n{first_try}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _first_try_since_clear(max_tries: int, retries: int) -> int:
    """The try the task's last clear began with: a clear sets max_tries to the tries so far plus retries."""
    return max_tries - retries + 1


def _task_keys(context: Context, retries: int) -> tuple[str, list[str]]:
    """This try's key, and the keys the task had before its earlier clears."""
    ti = context["ti"]
    first_try = _first_try_since_clear(ti.max_tries, retries)
    parts = (ti.dag_id, ti.run_id, ti.task_id, ti.map_index)
    return _task_key(*parts, first_try), [_task_key(*parts, earlier) for earlier in range(1, first_try)]


def _key_tag(key: str) -> str:
    return f"[airflow-task {key}]"


def _cause_with_key(reason: str, key: str, context: Context) -> str:
    """The trigger reason, the DAG run and try (for people), and the key (for the lookup), in 255 characters."""
    tag = _key_tag(key)
    details = f"{reason} DAG run {context['ti'].run_id}, try {context['ti'].try_number}."
    return f"{details[: _MAX_CAUSE_LENGTH - len(tag) - 1]} {tag}"


def _is_rerun_of(run: dict[str, Any], failed: dict[str, Any]) -> bool:
    """Whether `run` is dbt Cloud's rerun (retry from failure) of the run `failed`."""
    if run.get("retrying_run_id") is not None:
        return run["retrying_run_id"] == failed["id"]
    return (run.get("trigger") or {}).get("cause_category") == "rerun"


def _cause(run: dict[str, Any]) -> str:
    return (run.get("trigger") or {}).get("cause") or ""


class _ResilientDbtCloudTask:
    """What the operator and the sensor share: the retrying hook and the trigger."""

    cancels_run_on_kill = False

    @cached_property
    def hook(self) -> ResilientDbtCloudHook:
        # Rows G1-G6: the provider's tasks build a plain DbtCloudHook.
        return ResilientDbtCloudHook(self.dbt_cloud_conn_id, **self.hook_params)

    def defer(self, *, trigger: Any, **kwargs: Any) -> None:
        # Rows T1-T3: the provider's execute() defers on its own trigger class, so swap it here.
        if type(trigger) is DbtCloudRunJobTrigger:
            trigger = ResilientDbtCloudRunJobTrigger.from_trigger(trigger, cancel_on_kill=self.cancels_run_on_kill)
        super().defer(trigger=trigger, **kwargs)


class ResilientDbtCloudRunJobOperator(_ResilientDbtCloudTask, DbtCloudRunJobOperator):
    """DbtCloudRunJobOperator that never starts a second run for the same task (see the module doc).

    :param job_id: as the provider's, or a jobs-as-code tag such as ``"[[build_all]]"``: the one active
        job whose name carries it, found when the task runs.
    :param project_id: where a tagged job is looked for (default DBT_CLOUD_PROJECT_ID; unset: any project).
    :param environment_id: likewise (default DBT_CLOUD_ENVIRONMENT_ID; unset: any environment).
    """

    cancels_run_on_kill = True

    def __init__(self, *, project_id: int | None = None, environment_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_id = settings.project_id if project_id is None else project_id
        self.environment_id = settings.environment_id if environment_id is None else environment_id

    def _resolve_job_id(self) -> int:
        # Row J1: the provider finds a job by id, or by its exact project, environment and job names.
        tag = _IDENTIFIER_TAG.fullmatch(self.job_id) if isinstance(self.job_id, str) else None
        if tag is None:
            return super()._resolve_job_id()
        identifier, variable = tag.group(1), settings.job_id_variable(tag.group(1))
        pin = f"set {variable} in .env to the id of the job to run" if variable else "give the task a job id"
        job = _find_job(self.hook, identifier, account_id=self.account_id, project_id=self.project_id,
                       environment_id=self.environment_id, pin=pin)
        self.log.info("dbt Cloud job %s %r has the identifier [[%s]]: running it", job["id"], job["name"], identifier)
        return job["id"]

    def _get_or_trigger_run(self, context: Context) -> tuple[int, str]:
        # Row O1, retired by provider 4.12.0 on Airflow >= 3.3 (durable execution: a retry reconnects to its
        # earlier try's run); rows O2 (lost rerun answer) and O3 (runs of cleared tries) have no fix upstream.
        key, keys_before_clears = _task_keys(context, self.retries or 0)
        # The operator object can serve several tries (dag.test()): key the reason execute() set, once.
        self._unkeyed_reason = getattr(self, "_unkeyed_reason", None) or self.trigger_reason
        self.trigger_reason = _cause_with_key(self._unkeyed_reason, key, context)
        attempts = self.hook.retry_limit  # hook_params: the one retry policy
        for attempt in range(1, attempts + 1):
            runs = self._recent_runs()
            self._cancel_runs_of_cleared_tries(runs, keys_before_clears)
            earlier = self._latest_run_of_this_task(runs, key)
            if earlier is not None and earlier["status"] not in _FAILED:
                self.log.info("dbt Cloud run %s was triggered for this task by an earlier try and is %s: using it instead"
                              " of starting another (%s)", earlier["id"], earlier["status_humanized"], earlier["href"])
                return earlier["id"], earlier["href"]
            try:
                return super()._get_or_trigger_run(context)
            except _UNANSWERED as error:
                if attempt == attempts:
                    raise
                self.log.warning("Triggering dbt Cloud job %s got no answer (%s): checking whether the run was created "
                                 "before trying again", self.job_id, error)
                time.sleep(attempt * 2)
        raise AssertionError("unreachable")

    def _recent_runs(self) -> list[dict[str, Any]]:
        payload = {"job_definition_id": self.job_id, "order_by": "-created_at", "limit": _RECENT_RUNS,
                   "include_related": ["trigger"]}
        return self.hook.get_job_runs(account_id=self.account_id, payload=payload).json()["data"]

    def _cancel_runs_of_cleared_tries(self, runs: list[dict[str, Any]], keys_before_clears: list[str]) -> None:
        """A clear stops the task's try; if the try was deferred and its trigger never ran, its run is still going."""
        tags = [_key_tag(key) for key in keys_before_clears]
        for run in runs:
            if run["status"] in _IN_PROGRESS and any(tag in _cause(run) for tag in tags):
                self.log.info("dbt Cloud run %s was started by this task before it was cleared and is still %s: "
                              "cancelling it", run["id"], run["status_humanized"])
                self.hook.cancel_job_run(run_id=run["id"], account_id=self.account_id)
                # Until it has ended, reuse_existing_run would take it for a run to join.
                self.hook.wait_for_job_run_status(run["id"], self.account_id, expected_statuses=_TERMINAL,
                                                  check_interval=_CANCEL_CHECK_SECONDS, timeout=_CANCEL_WAIT_SECONDS)

    def _latest_run_of_this_task(self, runs: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
        """The newest run carrying this task's key, or with retry_from_failure the newest rerun of it."""
        tag = _key_tag(key)
        position = next((i for i, run in enumerate(runs) if tag in _cause(run)), None)
        if position is None:
            return None
        latest = runs[position]
        if not self.retry_from_failure:
            return latest
        # dbt Cloud reruns only a job's latest run, if it failed: the rerun is the next run (newest first).
        for newer in reversed(runs[:position]):
            if latest["status"] not in _FAILED or not _is_rerun_of(newer, latest):
                break
            latest = newer
        return latest

    def execute(self, context: Context) -> Any:  # row O4 (a wait timeout is retried, and misreported): no fix upstream
        try:
            return super().execute(context)
        except DbtCloudJobRunException as error:  # sync wait: the run failed, or `timeout` is up
            self._fail_if_still_running(str(error))
            raise

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> int:  # row O4, deferred
        try:
            return super().execute_complete(context, event)
        except DbtCloudJobRunException:
            if (event or {}).get("wait_timed_out"):
                self._fail_if_still_running(event["message"])
            raise

    def _fail_if_still_running(self, reason: str) -> None:
        """The wait ended while the run still goes on (its `timeout`): fail without retries."""
        if self.run_id is None:
            return
        run = self.hook.get_job_run(run_id=self.run_id, account_id=self.account_id).json()["data"]
        if run["status"] in _IN_PROGRESS:
            raise AirflowFailException(
                f"Stopped waiting for dbt Cloud run {run['id']} after this task's timeout of {self.timeout} s "
                f"({reason}). The run is still {run['status_humanized']} and keeps going in dbt Cloud. Not retried: "
                "a retry would wait on the same run again. Cancel the run if it is stuck, or raise the task's "
                f"`timeout` if runs take this long: {run['href']}"
            )


class ResilientDbtCloudJobRunSensor(_ResilientDbtCloudTask, DbtCloudJobRunSensor):
    """DbtCloudJobRunSensor whose checks ride out transient API errors; it never cancels the run it watches."""
