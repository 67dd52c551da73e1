"""dbt_cloud_model_results: per-model mapped tasks and asset events from the run's artifacts."""

from __future__ import annotations

import pytest

from tests.e2e.dag_runner import load_dag, run_dag, unpause
from local_runner import demo_tenant as tenant
from tests.polling import ERROR

pytestmark = pytest.mark.e2e


def asset_events(dag_run) -> dict[str, dict]:
    """Asset name -> event extra, for the events the DAG run emitted."""
    from sqlalchemy import select

    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.name, AssetModel.uri, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_dag_id == dag_run.dag_id, AssetEvent.source_run_id == dag_run.run_id)
        ).all()
    return {name: {"uri": uri, **extra} for name, uri, extra in rows}


def queued_dag_ids(asset_name: str) -> set[str]:
    from sqlalchemy import select

    from airflow.models.asset import AssetDagRunQueue, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return set(session.scalars(
            select(AssetDagRunQueue.target_dag_id).join(AssetModel, AssetModel.id == AssetDagRunQueue.asset_id)
            .where(AssetModel.name == asset_name)
        ))


def test_each_model_becomes_a_task_instance_and_an_asset_event(dbt_cloud):
    unpause("dbt_cloud_orders_consumer")
    outcome = run_dag(load_dag("dbt_cloud_model_results"))

    assert outcome.state == "success"
    run = dbt_cloud.run(outcome.xcom("build_models"))
    models = {uid: status for uid, status in dbt_cloud.results_by_node(run["id"]).items() if uid.startswith("model.")}
    assert models and set(models.values()) == {"success"}

    mapped = [ti for ti in outcome.dag_run.get_task_instances() if ti.task_id == "record_model"]
    assert sorted(ti.rendered_map_index for ti in mapped) == sorted(uid.rsplit(".", 1)[1] for uid in models)
    assert {ti.state for ti in mapped} == {"success"}

    events = asset_events(outcome.dag_run)
    assert set(events) == set(models)
    orders = events["model.jaffle_shop.orders"]
    assert orders["uri"] == f"dbt-cloud://{tenant.ACCOUNT_ID}/model.jaffle_shop.orders"
    assert orders["dbt_cloud_run_url"] == run["href"]
    assert orders["relation_name"] == '"warehouse"."main"."orders"'
    assert orders["execution_time"] > 0 and "rows_affected" in orders
    # dbt_cloud_orders_consumer is scheduled on the orders model: a run of it is now due.
    assert "dbt_cloud_orders_consumer" in queued_dag_ids("model.jaffle_shop.orders")


def test_a_failed_run_still_shows_which_models_failed_and_which_were_skipped(dbt_cloud, monkeypatch):
    dbt_cloud.reset_job(tenant.LATE_DATA_JOB_ID)
    monkeypatch.setenv("DBT_CLOUD_JOB_ID", str(tenant.LATE_DATA_JOB_ID))
    dag = load_dag("dbt_cloud_model_results")
    dag.get_task("build_models").retries = 0

    outcome = run_dag(dag)

    assert outcome.state == "failed"
    run_id = outcome.xcom("build_models", key="job_run_id")
    assert dbt_cloud.run(run_id)["status"] == ERROR
    models = {uid.rsplit(".", 1)[1]: status for uid, status in dbt_cloud.results_by_node(run_id).items()
              if uid.startswith("model.")}
    expected = {"success": "success", "error": "failed", "skipped": "skipped"}
    mapped = {ti.rendered_map_index: ti.state for ti in outcome.dag_run.get_task_instances() if ti.task_id == "record_model"}
    assert mapped == {name: expected[status] for name, status in models.items()}
    assert {"failed", "skipped"} <= set(mapped.values())
    assert set(asset_events(outcome.dag_run)) == {f"model.jaffle_shop.{n}" for n, s in models.items() if s == "success"}
