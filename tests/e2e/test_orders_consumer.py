"""dbt_cloud_orders_consumer triggered by hand: a manual run has no triggering asset event.

dag.test() makes the run the UI's Trigger button and the REST API make: run type manual, no
asset events. The asset-scheduled path is tested in tests/local_runner/test_stack.py.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import NoResultFound

from tests.e2e.dag_runner import DagRunOutcome, load_dag, run_dag

pytestmark = pytest.mark.e2e

ORDERS = "model.jaffle_shop.orders"


def forget_orders_events() -> None:
    """The session's metadata DB is shared: drop the events other tests left on the orders asset."""
    from sqlalchemy import delete, select

    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        session.execute(delete(AssetEvent).where(
            AssetEvent.asset_id.in_(select(AssetModel.id).where(AssetModel.name == ORDERS))))


def logged_while_running(dag) -> tuple[DagRunOutcome, list[str]]:
    """Run the DAG, catching what its task logs on the DAG file's own logger (the root handlers may
    belong to an earlier test's capture)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = records.append
    logger = logging.getLogger(dag.get_task("use_fresh_orders").python_callable.__module__)
    logger.addHandler(handler)
    try:
        outcome = run_dag(dag)
    finally:
        logger.removeHandler(handler)
    return outcome, [record.getMessage() for record in records]


def test_by_hand_with_no_event_yet_it_says_so_and_succeeds(dbt_cloud):
    forget_orders_events()
    outcome, logged = logged_while_running(load_dag("dbt_cloud_orders_consumer"))

    assert outcome.dag_run.run_type == "manual"
    assert outcome.state == "success", outcome.task_states()
    assert logged == [f"{ORDERS} has no asset event yet: run dbt_cloud_model_results first. Nothing to do."]
    with pytest.raises(NoResultFound):  # it returned nothing: no XCom
        outcome.xcom("use_fresh_orders")


def test_by_hand_it_reads_the_latest_event_of_the_orders_model(dbt_cloud):
    forget_orders_events()
    built = run_dag(load_dag("dbt_cloud_model_results"))
    assert built.state == "success"
    run = dbt_cloud.run(built.xcom("build_models"))

    outcome = run_dag(load_dag("dbt_cloud_orders_consumer"))

    assert outcome.dag_run.run_type == "manual"
    assert outcome.state == "success", outcome.task_states()
    used = outcome.xcom("use_fresh_orders")
    assert used["dbt_cloud_run_url"] == run["href"]
    assert used["relation_name"] == '"warehouse"."main"."orders"'
