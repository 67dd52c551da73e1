"""default_args shared by the example DAGs."""

from __future__ import annotations

from datetime import timedelta

from .callbacks import DbtCloudFailureNotifier, report_dbt_cloud_failure
from .config import settings
from .hook import RETRY_POLICY

DEFAULT_ARGS = {
    "dbt_cloud_conn_id": settings.conn_id,
    "account_id": settings.account_id,
    "owner": "data-platform",
    "check_interval": 6,  # s between a sync wait's reads (the provider's: 60); deferred waits share the board's
    "hook_params": dict(RETRY_POLICY),  # the one retry policy of API calls, sync and deferrable alike
    # A retry re-attaches to its try's dbt Cloud run unless it failed: a job never runs twice for one task.
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "execution_timeout": timedelta(hours=1),  # a hard stop; when it kills a dbt Cloud task, its run is cancelled
    # Each failed try logs the run link and the failed dbt nodes; the final failure also sends them.
    "on_retry_callback": report_dbt_cloud_failure,
    "on_failure_callback": DbtCloudFailureNotifier(),
}
