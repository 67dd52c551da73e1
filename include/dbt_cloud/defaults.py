"""default_args shared by the example DAGs."""

from __future__ import annotations

from datetime import timedelta

from .callbacks import DbtCloudFailureNotifier, report_dbt_cloud_failure
from .config import settings
from .hook import RETRY_POLICY

DEFAULT_ARGS = {
    # Every dbt Cloud operator and sensor in a DAG picks these up: which connection, which account.
    "dbt_cloud_conn_id": settings.conn_id,
    "account_id": settings.account_id,
    "owner": "data-platform",
    # How often a sync wait reads its run (the provider's default is 60 s): 10 requests a minute per
    # waiting task. Deferred waits ignore it: the triggerer's status board reads all their runs, 100
    # a request, every 2 s (docs/guarantees.md, "dbt Cloud's rate limit").
    "check_interval": 6,
    # The one retry policy of API calls, sync and deferrable alike (include/dbt_cloud/hook.py):
    # 8 attempts, backing off from 1 s; set hook_params on a task to change it there.
    "hook_params": dict(RETRY_POLICY),
    # A task retry re-attaches to its own dbt Cloud run if it is still going or succeeded (the
    # run's cause carries the task's key, include/dbt_cloud/operators.py), so a retry after a
    # worker crash or a lost answer never runs the job twice; a failed run is run again.
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    # A hard stop for any task; when it kills a dbt Cloud task, the operator cancels the run.
    "execution_timeout": timedelta(hours=1),
    # Every failed attempt logs the dbt Cloud run link and the dbt nodes that failed (the provider
    # logs the failed step); the final failure also mails them (the smtp_default connection, to the
    # Variable dbt_cloud_alert_email) and posts them to Slack if slack_default is set: docs/notifications.md.
    "on_retry_callback": report_dbt_cloud_failure,
    "on_failure_callback": DbtCloudFailureNotifier(),
}
