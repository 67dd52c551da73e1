"""
### Start a DAG when dbt Cloud rebuilt one model

Scheduled on the asset of one dbt model (`model.jaffle_shop.orders`), not on a time: it runs
each time `dbt_cloud_model_results` reports that model was built successfully, whichever
dbt Cloud job or Airflow DAG built it. Use this for work that depends on a table being fresh
(refresh a dashboard extract, export to a partner, train a model) instead of guessing when the
dbt job is usually done.

The asset event carries metadata from the run (table, rows affected, build time, run link),
read here from `triggering_asset_events`. The task stands in for your own consumer.
Triggered by hand, it reads the model's latest event instead; if the model was never built, it
says so and ends successfully, doing nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from airflow.sdk import dag, task

from include.dbt_cloud import DEFAULT_ARGS, dbt_model_asset

ORDERS_MODEL = dbt_model_asset("model.jaffle_shop.orders")

log = logging.getLogger(__name__)


@dag(
    schedule=[ORDERS_MODEL],
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["dbt-cloud", "assets"],
)
def dbt_cloud_orders_consumer():
    @task(inlets=[ORDERS_MODEL])
    def use_fresh_orders(triggering_asset_events=None, inlet_events=None) -> dict | None:
        # A run started by hand has no triggering event: fall back to the asset's newest one.
        events = triggering_asset_events.get(ORDERS_MODEL) or inlet_events[ORDERS_MODEL].ascending(False).limit(1)
        if not events:
            log.info("%s has no asset event yet: run dbt_cloud_model_results first. Nothing to do.", ORDERS_MODEL.name)
            return None
        latest = events[-1]
        log.info(
            "%s was rebuilt (%s rows) by %s",
            latest.extra["relation_name"],
            latest.extra["rows_affected"],
            latest.extra["dbt_cloud_run_url"],
        )
        return latest.extra

    use_fresh_orders()


dbt_cloud_orders_consumer()
