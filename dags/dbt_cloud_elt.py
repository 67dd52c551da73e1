"""
### ELT: extract, load, transform in dbt Cloud, then consume

**What:** the everyday pipeline around dbt Cloud: Airflow lands raw data, dbt Cloud transforms it,
Airflow hands the result on. The transformation starts as soon as the data has landed, and the
consumer runs only after a successful transformation.

**When:** your dbt models read data that an Airflow task loads.

**How:**
1. `extract_orders` makes up new orders (numbered after the last one landed).
2. `load_orders` lands them as `landing/orders/<dag run>.csv`: a retry rewrites the same file.
3. `transform_orders` runs the dbt Cloud job (`build_all`), which exports
   `exports/landed_daily_revenue.csv`.
4. `check_orders_exported` checks today's delivery is in the export.

Locally the warehouse is the folder `LOCAL_WAREHOUSE_DIR`, shared with the emulator's DuckDB
project. With real dbt Cloud, replace the load and the check with your own loader and consumer.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from decimal import Decimal

from airflow.sdk import dag, get_current_context, task

from include.dbt_cloud import DEFAULT_ARGS, ResilientDbtCloudRunJobOperator, settings
from include.local_warehouse import ORDER_COLUMNS, max_landed_order_id, read_export, warehouse_dir, write_landing_file

log = logging.getLogger(__name__)


@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["dbt-cloud", "elt"],
)
def dbt_cloud_elt():
    @task
    def extract_orders() -> list[dict]:
        # A stand-in for the source system's API: five new orders, numbered after the last landed.
        first_id = max_landed_order_id(warehouse_dir()) + 1
        order_date = get_current_context()["dag_run"].run_after.date().isoformat()
        return [
            {
                "order_id": order_id,
                "customer_id": order_id % 20 + 1,  # the demo project seeds customers 1-20
                "order_date": order_date,
                "amount": f"{10 + order_id % 7 * 2.5:.2f}",
            }
            for order_id in range(first_id, first_id + 5)
        ]

    @task
    def load_orders(orders: list[dict]) -> dict:
        context = get_current_context()
        landed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        file_name = re.sub(r"[^\w.-]", "_", context["run_id"])
        path = write_landing_file(
            warehouse_dir(), "orders", file_name, ORDER_COLUMNS,
            ({**order, "landed_at": landed_at} for order in orders),
        )
        log.info("Landed %s orders in %s", len(orders), path)
        return {
            "order_date": orders[0]["order_date"],
            "order_count": len(orders),
            "revenue": str(sum(Decimal(order["amount"]) for order in orders)),
            "landed_at": landed_at,
        }

    transform_orders = ResilientDbtCloudRunJobOperator(
        task_id="transform_orders",
        job_id=settings.job_id("build_all"),  # the id .env pins, else the job tagged [[build_all]]
    )

    @task
    def check_orders_exported(delivery: dict) -> dict:
        rows = read_export(warehouse_dir(), "landed_daily_revenue.csv")
        day = next((row for row in rows if row["order_date"] == delivery["order_date"]), None)
        if day is None:
            raise ValueError(f"landed_daily_revenue.csv has no row for {delivery['order_date']}")
        # The export writes last_landed_at in UTC, without an offset.
        last_landed_at = datetime.fromisoformat(day["last_landed_at"]).replace(tzinfo=timezone.utc)
        if (
            last_landed_at < datetime.fromisoformat(delivery["landed_at"])
            or int(day["order_count"]) < delivery["order_count"]
            or Decimal(day["revenue"]) < Decimal(delivery["revenue"])
        ):
            raise ValueError(f"The delivery {delivery} is missing from the export's row {day}")
        log.info("The export includes the delivery: %s", day)
        return day

    delivery = load_orders(extract_orders())
    delivery >> transform_orders >> check_orders_exported(delivery)


dbt_cloud_elt()
