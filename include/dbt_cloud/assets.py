"""Airflow assets that stand for dbt models built by dbt Cloud."""

from __future__ import annotations

from airflow.sdk import Asset, AssetAlias

from .config import settings

# Producers attach one event per built model to this alias; Airflow records each as an event of the model's
# own asset, so a DAG can be scheduled on a single model.
DBT_CLOUD_MODELS = AssetAlias(name="dbt_cloud_models")


def dbt_model_asset(unique_id: str) -> Asset:
    """The asset of a dbt model, named by its dbt unique_id (e.g. model.my_project.orders)."""
    return Asset(name=unique_id, uri=f"dbt-cloud://{settings.account_id}/{unique_id}")
