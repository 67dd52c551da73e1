"""What a dbt Cloud task's failure adds to the provider's log (which has the run's status and failed
steps): the run's link and the dbt nodes that failed, logged on every failed try and mailed on the final
failure (SmtpNotifier). Only ids, names, links and dbt messages: never the connection or its token.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any, NamedTuple

from airflow.providers.common.compat.notifier import BaseNotifier
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus
from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowException

from .hook import ResilientDbtCloudHook

if TYPE_CHECKING:
    from airflow.sdk import Context

_logger = logging.getLogger(__name__)
# dbt result statuses that mean the node failed (run/build: error; test: fail; freshness: runtime error).
_FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})

# Who gets the failure mail: comma-separated addresses in this Airflow Variable.
_ALERT_EMAIL_VARIABLE = "dbt_cloud_alert_email"
_SMTP_CONN_ID = "smtp_default"


class _RunFailure(NamedTuple):  # a failed run as a person acts on it: where to look, which dbt nodes broke
    run_id: int
    status: str
    href: str
    node_lines: list[str]  # "dbt node <unique_id>: <status>: <message>"


def _failed_nodes(run_results: dict[str, Any]) -> list[dict[str, Any]]:
    """The results (models, tests, snapshots, ...) that failed in a run_results.json."""
    return [result for result in run_results["results"] if result["status"] in _FAILED_STATUSES]


def _find_run_failure(context: Context) -> _RunFailure | None:
    """The failed run of a dbt Cloud operator or sensor task (`run_id`), logged; None if no run had started."""
    task = context["task"]
    if getattr(task, "run_id", None) is None:
        return None
    run_id, account_id = int(task.run_id), task.account_id
    hook = ResilientDbtCloudHook(task.dbt_cloud_conn_id)
    run = hook.get_job_run(run_id=run_id, account_id=account_id, include_related=["run_steps"]).json()["data"]
    lines: list[str] = []
    for step in run.get("run_steps") or []:
        if step["status"] != DbtCloudJobRunStatus.ERROR.value:
            continue
        try:
            run_results = hook.get_job_run_artifact(run_id, "run_results.json", account_id=account_id,
                                                    step=step["index"]).json()
        except AirflowException as error:  # e.g. the step failed before dbt wrote run_results.json
            _logger.warning("No run_results.json for step %s of run %s (%s)", step["index"], run_id, error)
            continue
        lines += [f"dbt node {n['unique_id']}: {n['status']}: {n.get('message')}" for n in _failed_nodes(run_results)]
    _logger.error("dbt Cloud run %s is %s: %s", run_id, run["status_humanized"], run["href"])
    for line in lines:
        _logger.error("%s", line)
    return _RunFailure(run_id, run["status_humanized"], run["href"], lines)


def report_dbt_cloud_failure(context: Context) -> None:
    """Log the failed run's link and failing dbt nodes (for on_retry_callback: no message is sent)."""
    _find_run_failure(context)


class DbtCloudFailureNotifier(BaseNotifier):
    """on_failure_callback: log as report_dbt_cloud_failure does, then mail the same (SmtpNotifier). Other
    channels (Slack...) sit beside it: `on_failure_callback` takes a list of Airflow's notifiers.

    :param smtp_conn_id: the mail server's connection.
    :param alert_email_variable: the Airflow Variable with the comma-separated recipients.
    """

    def __init__(self, *, smtp_conn_id: str = _SMTP_CONN_ID, alert_email_variable: str = _ALERT_EMAIL_VARIABLE) -> None:
        super().__init__()
        self.smtp_conn_id, self.alert_email_variable = smtp_conn_id, alert_email_variable

    def notify(self, context: Context) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        failure = _find_run_failure(context)
        if failure is None:
            return
        recipients = Variable.get(self.alert_email_variable, default=None)
        if not recipients:
            _logger.info("No failure mail sent: set the Airflow Variable %s (e.g. AIRFLOW_VAR_%s=you@example.com).",
                         self.alert_email_variable, self.alert_email_variable.upper())
            return
        ti = context["ti"]
        href = html.escape(failure.href)
        lines = [f"Task {ti.dag_id}.{ti.task_id} (try {ti.try_number}) failed.",
                 f'dbt Cloud run {failure.run_id} is {failure.status}: <a href="{href}">{href}</a>',
                 *(html.escape(line) for line in failure.node_lines)]
        # ASCII with character references, sent as 7-bit text: the raw message stays readable.
        body = "\n".join(f"<p>{line}</p>" for line in lines).encode("ascii", "xmlcharrefreplace").decode()
        subject = f"dbt Cloud run {failure.run_id} {failure.status}: {ti.dag_id}.{ti.task_id}"
        SmtpNotifier(to=[address.strip() for address in recipients.split(",") if address.strip()],
                     subject=subject.encode("ascii", "replace").decode(), html_content=body,
                     smtp_conn_id=self.smtp_conn_id, mime_charset="us-ascii").notify(context)
        _logger.info("Failure mail for run %s sent to %s.", failure.run_id, recipients)
