"""default_args shared by the example DAGs."""

from __future__ import annotations

from datetime import timedelta

from include.dbt_cloud_callbacks import report_dbt_cloud_failure
from include.dbt_cloud_settings import settings

DEFAULT_ARGS = {
    # Every dbt Cloud operator and sensor in a DAG picks these up: which connection, which account.
    "dbt_cloud_conn_id": settings.conn_id,
    "account_id": settings.account_id,
    "owner": "data-platform",
    # Transient failures (a dbt Cloud API hiccup, a warehouse timeout) usually pass on a retry.
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    # A hard stop for any task; when it kills a dbt Cloud task, the operator cancels the run.
    "execution_timeout": timedelta(hours=1),
    # Every failed attempt logs the dbt Cloud run link and the step and dbt nodes that failed.
    "on_retry_callback": report_dbt_cloud_failure,
    "on_failure_callback": report_dbt_cloud_failure,
}
