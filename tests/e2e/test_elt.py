"""dbt_cloud_elt: landed orders go through job 111 into the export the consumer reads."""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from local_runner import demo_tenant as tenant
from tests.polling import SUCCESS

pytestmark = pytest.mark.e2e


def read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_landed_orders_reach_the_export(dbt_cloud, emulator):
    outcome = run_dag(load_dag("dbt_cloud_elt"))

    assert outcome.state == "success"
    orders = outcome.xcom("extract_orders")
    landing = emulator.warehouse_dir / "landing" / "orders"
    landed_file = landing / (re.sub(r"[^\w.-]", "_", outcome.dag_run.run_id) + ".csv")
    landed = read_csv(landed_file)
    assert [int(row["order_id"]) for row in landed] == [order["order_id"] for order in orders]
    assert len({row["landed_at"] for row in landed}) == 1

    run = dbt_cloud.run(outcome.xcom("transform_orders"))
    assert (run["job_definition_id"], run["status"]) == (tenant.BUILD_ALL_JOB_ID, SUCCESS)
    results = dbt_cloud.results_by_node(run["id"])
    assert results["model.jaffle_shop.stg_landed_orders"] == "success"
    assert results["model.jaffle_shop.landed_daily_revenue"] == "success"

    # The export's row for the day adds up every order landed for that day, this delivery included.
    day = orders[0]["order_date"]
    landed_that_day = {
        row["order_id"]: row for path in landing.glob("*.csv") for row in read_csv(path) if row["order_date"] == day
    }
    export = read_csv(emulator.warehouse_dir / "exports" / "landed_daily_revenue.csv")
    [row] = [row for row in export if row["order_date"] == day]
    assert int(row["order_count"]) == len(landed_that_day)
    assert Decimal(row["revenue"]) == sum(Decimal(o["amount"]) for o in landed_that_day.values())
    assert outcome.xcom("check_orders_exported") == row
