"""Reading per-node outcomes out of run_results.json and manifest.json."""

from __future__ import annotations

from dags.dbt_cloud_model_results import model_outcomes
from include.dbt_cloud.callbacks import _failed_nodes

MANIFEST = {
    "nodes": {
        "model.shop.orders": {"resource_type": "model", "name": "orders", "relation_name": '"wh"."main"."orders"'},
        "model.shop.fx": {"resource_type": "model", "name": "fx", "relation_name": '"wh"."main"."fx"'},
        "test.shop.not_null_orders_id": {"resource_type": "test", "name": "not_null_orders_id"},
        "seed.shop.raw": {"resource_type": "seed", "name": "raw"},
    }
}
RUN_RESULTS = {
    "results": [
        {"unique_id": "seed.shop.raw", "status": "success", "execution_time": 0.1, "message": "INSERT 3"},
        {"unique_id": "model.shop.orders", "status": "success", "execution_time": 1.5, "message": "OK",
         "adapter_response": {"rows_affected": 42}},
        {"unique_id": "model.shop.fx", "status": "error", "execution_time": 0.2, "message": "No files found",
         "adapter_response": {}},
        {"unique_id": "test.shop.not_null_orders_id", "status": "fail", "execution_time": 0.1, "message": "Got 1"},
    ]
}


def test_failed_nodes_are_errors_and_failed_tests():
    assert [node["unique_id"] for node in _failed_nodes(RUN_RESULTS)] == [
        "model.shop.fx",
        "test.shop.not_null_orders_id",
    ]


def test_model_outcomes_keep_models_only_with_their_manifest_names():
    outcomes = model_outcomes(RUN_RESULTS, MANIFEST, "https://cloud.example/runs/7/")
    assert [(o["name"], o["status"], o["rows_affected"]) for o in outcomes] == [
        ("orders", "success", 42),
        ("fx", "error", None),
    ]
    assert outcomes[0]["relation_name"] == '"wh"."main"."orders"'
    assert outcomes[1]["message"] == "No files found"
    assert {o["run_url"] for o in outcomes} == {"https://cloud.example/runs/7/"}
