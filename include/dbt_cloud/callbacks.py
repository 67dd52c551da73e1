"""What a dbt Cloud task's failure adds to what the provider logs: the run's link and the dbt nodes
that failed. Logged on every failed try; on the task's final failure, also sent through Airflow's
notifiers: mail (the smtp provider's SmtpNotifier) and, when its connection is set, Slack (the
slack provider's SlackWebhookNotifier).

The provider (4.10+, `log_job_run_failure_details`) already logs the run's status, its message and
each failed step with its log, so none of that is repeated here. Only ids, names, links and dbt
messages are logged or sent: never the connection or its token.
"""

from __future__ import annotations

import dataclasses
import html
import logging
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.notifier import BaseNotifier
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus
from airflow.sdk import BaseHook, Variable
from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException

from .artifacts import _failed_nodes, _get_artifact
from .hook import ResilientDbtCloudHook

if TYPE_CHECKING:
    from airflow.sdk import Context

_logger = logging.getLogger(__name__)

# Who gets the failure mail: comma-separated addresses in this Airflow Variable (airflow_settings.yaml
# sets it for the local mail sink; set AIRFLOW_VAR_DBT_CLOUD_ALERT_EMAIL, or the Variable, elsewhere).
_ALERT_EMAIL_VARIABLE = "dbt_cloud_alert_email"
_SMTP_CONN_ID = "smtp_default"
# A Slack Incoming Webhook connection (type slackwebhook); when it exists, failures are posted there too.
_SLACK_CONN_ID = "slack_default"


@dataclasses.dataclass(frozen=True)
class _RunFailure:
    """A failed dbt Cloud run as a person acts on it: where to look, and which dbt nodes broke."""

    run_id: int
    status: str
    href: str
    nodes: tuple[dict[str, Any], ...]  # run_results.json entries of the failed nodes

    def node_lines(self) -> list[str]:
        return [f"dbt node {node['unique_id']}: {node['status']}: {node.get('message')}" for node in self.nodes]


def _find_run_failure(context: Context) -> _RunFailure | None:
    """The failed run of a DbtCloudRunJobOperator or DbtCloudJobRunSensor task (both keep its id in
    `run_id`); None for other tasks and for dbt Cloud tasks that failed before a run started."""
    task = context["task"]
    run_id = getattr(task, "run_id", None)
    if run_id is None:
        return None
    run_id, account_id = int(run_id), task.account_id
    hook = ResilientDbtCloudHook(task.dbt_cloud_conn_id)
    run = hook.get_job_run(run_id=run_id, account_id=account_id, include_related=["run_steps"]).json()["data"]
    nodes: list[dict[str, Any]] = []
    for step in run.get("run_steps") or []:
        if step["status"] != DbtCloudJobRunStatus.ERROR.value:
            continue
        try:
            run_results = _get_artifact(hook, run_id, "run_results.json", account_id=account_id, step=step["index"])
        except AirflowException as error:  # e.g. the step failed before dbt wrote run_results.json
            _logger.warning("No run_results.json for step %s of run %s (%s)", step["index"], run_id, error)
            continue
        nodes.extend(_failed_nodes(run_results))
    return _RunFailure(run_id=run_id, status=run["status_humanized"], href=run["href"], nodes=tuple(nodes))


def _log(failure: _RunFailure) -> None:
    _logger.error("dbt Cloud run %s is %s: %s", failure.run_id, failure.status, failure.href)
    for line in failure.node_lines():
        _logger.error("%s", line)


def report_dbt_cloud_failure(context: Context) -> None:
    """Log the failed run's link and failing dbt nodes (for on_retry_callback: no message is sent)."""
    failure = _find_run_failure(context)
    if failure is not None:
        _log(failure)


class DbtCloudFailureNotifier(BaseNotifier):
    """on_failure_callback: log as report_dbt_cloud_failure does, then send the same through Airflow's
    notifiers: mail to the addresses in the Variable dbt_cloud_alert_email (SmtpNotifier, connection
    `smtp_conn_id`), and a Slack message when the connection `slack_conn_id` exists
    (SlackWebhookNotifier). A channel that fails is logged and does not stop the other."""

    def __init__(self, *, smtp_conn_id: str = _SMTP_CONN_ID, alert_email_variable: str = _ALERT_EMAIL_VARIABLE,
                 slack_conn_id: str = _SLACK_CONN_ID) -> None:
        super().__init__()
        self.smtp_conn_id = smtp_conn_id
        self.alert_email_variable = alert_email_variable
        self.slack_conn_id = slack_conn_id

    def notify(self, context: Context) -> None:
        failure = _find_run_failure(context)
        if failure is None:
            return
        _log(failure)
        ti = context["ti"]
        headline = f"dbt Cloud run {failure.run_id} {failure.status}: {ti.dag_id}.{ti.task_id}"
        for channel in (self._mail, self._slack):
            try:
                channel(context, headline, failure)
            except Exception:  # one channel down must not silence the other
                _logger.exception("Could not send the failure notification through %s", channel.__name__.lstrip("_"))

    def _mail(self, context: Context, headline: str, failure: _RunFailure) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        recipients = Variable.get(self.alert_email_variable, default=None)
        if not recipients:
            _logger.info("No failure mail sent: set the Airflow Variable %s (e.g. AIRFLOW_VAR_%s=you@example.com).",
                     self.alert_email_variable, self.alert_email_variable.upper())
            return
        ti = context["ti"]
        href = html.escape(failure.href)
        lines = [f"Task {ti.dag_id}.{ti.task_id} (try {ti.try_number}) failed.",
                 f'dbt Cloud run {failure.run_id} is {failure.status}: <a href="{href}">{href}</a>',
                 *(html.escape(line) for line in failure.node_lines())]
        # ASCII with character references, sent as 7-bit text: the raw message reads as it is, in
        # the local mail sink's files too (utf-8 would be base64-encoded).
        body = "\n".join(f"<p>{line}</p>" for line in lines).encode("ascii", "xmlcharrefreplace").decode()
        SmtpNotifier(to=[address.strip() for address in recipients.split(",") if address.strip()],
                     subject=headline.encode("ascii", "replace").decode(), html_content=body,
                     smtp_conn_id=self.smtp_conn_id, mime_charset="us-ascii").notify(context)
        _logger.info("Failure mail for run %s sent to %s.", failure.run_id, recipients)

    def _slack(self, context: Context, headline: str, failure: _RunFailure) -> None:
        try:
            BaseHook.get_connection(self.slack_conn_id)
        except AirflowNotFoundException:
            return  # Slack is opt-in: no connection, no message
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        def escaped(text: str) -> str:  # Slack's mrkdwn reserves &, < and >
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        text = "\n".join([f"*{escaped(headline)}*", f"<{failure.href}|Open run {failure.run_id}>",
                          *(f"• {escaped(line)}" for line in failure.node_lines())])
        SlackWebhookNotifier(slack_webhook_conn_id=self.slack_conn_id, text=text).notify(context)
        _logger.info("Failure message for run %s posted to Slack (connection %s).", failure.run_id, self.slack_conn_id)
