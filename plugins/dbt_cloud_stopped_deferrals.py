"""Registers the listener that cancels the dbt Cloud run of a deferred task stopped before the
triggerer started its wait (include/dbt_cloud/stopped_deferrals.py). Copy this file with include/dbt_cloud/."""

from airflow.plugins_manager import AirflowPlugin

from include.dbt_cloud import stopped_deferrals


class DbtCloudStoppedDeferralsPlugin(AirflowPlugin):
    name = "dbt_cloud_stopped_deferrals"
    listeners = [stopped_deferrals]
