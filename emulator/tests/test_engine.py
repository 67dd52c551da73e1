"""The run engine with real dbt: job 111's steps and artifacts, and overrides that change what runs."""

import json

from conftest import ACCOUNT, wait_for_run

V2 = f"/api/v2/accounts/{ACCOUNT}"
DBT_STEPS = ["Clone Git Repository", "Create Profile from Connection DuckDB", "Invoke dbt with `dbt deps`"]


def test_job_111_builds_the_project_and_keeps_artifacts_per_step(client):
    # A delivery written with Windows line endings (Python's csv default) must be read, not skipped.
    landing = client.emulator.state.settings.warehouse_dir / "landing" / "orders"
    (landing / "900_crlf.csv").write_bytes(
        b"order_id,customer_id,order_date,amount,landed_at\r\n9001,3,2030-01-02,12.50,2030-01-02T06:00:00+00:00\r\n")
    run = client.post(f"{V2}/jobs/111/run/", json={"cause": "engine test"}).json()["data"]
    done = wait_for_run(client, run["id"])
    assert done["status"] == 10, done["status_message"]
    assert (done["is_success"], done["in_progress"], done["has_docs_generated"]) == (True, False, True)

    steps = client.get(f"{V2}/runs/{run['id']}/", params={"include_related": "run_steps"}).json()["data"]["run_steps"]
    assert [s["name"] for s in steps] == [*DBT_STEPS, "Invoke dbt with `dbt build`", "Invoke dbt with `dbt docs generate`"]
    assert [s["index"] for s in steps] == [1, 2, 3, 4, 5] and {s["status"] for s in steps} == {10}
    assert "threads: 4" in steps[1]["logs"] and "Completed successfully" in steps[3]["logs"]

    results = client.get(f"{V2}/runs/{run['id']}/artifacts/run_results.json", params={"step": 4})
    assert results.headers["content-type"] == "application/json"
    built = {r["unique_id"]: r["status"] for r in results.json()["results"]}
    assert built["model.jaffle_shop.orders"] == "success" and built["model.jaffle_shop.stg_fx_rates"] == "success"
    assert set(built.values()) <= {"success", "pass"}
    export = (client.emulator.state.settings.warehouse_dir / "exports" / "landed_daily_revenue.csv").read_text()
    assert "2030-01-02,1,12.50" in export, export
    manifest = client.get(f"{V2}/runs/{run['id']}/artifacts/manifest.json", params={"step": 4}).json()
    assert manifest["metadata"]["dbt_schema_version"].startswith("https://schemas.getdbt.com/dbt/manifest/")
    # dbt Cloud's special variables: the run details in every artifact's metadata.env, and to env_var().
    assert results.json()["metadata"]["env"] == manifest["metadata"]["env"] == {
        "DBT_CLOUD_PROJECT_ID": "70001", "DBT_CLOUD_JOB_ID": "111", "DBT_CLOUD_RUN_ID": str(run["id"]),
        "DBT_CLOUD_RUN_REASON_CATEGORY": "other", "DBT_CLOUD_RUN_REASON": "engine test",
    }
    compiled = client.get(f"{V2}/runs/{run['id']}/artifacts/compiled/jaffle_shop/models/marts/customers.sql",
                          params={"step": 4}).text
    assert f"'{run['id']}' as loaded_by_run_id" in compiled, compiled

    # Without step: the last step that produced artifacts (docs generate), which has catalog.json.
    listed = client.get(f"{V2}/runs/{run['id']}/artifacts/").json()["data"]
    assert {"manifest.json", "catalog.json"} <= set(listed)
    assert "catalog.json" not in client.get(f"{V2}/runs/{run['id']}/artifacts/", params={"step": 4}).json()["data"]
    catalog = json.loads(client.get(f"{V2}/runs/{run['id']}/artifacts/catalog.json").content)
    assert "model.jaffle_shop.orders" in catalog["nodes"]
    assert client.get(f"{V2}/runs/{run['id']}/artifacts/", params={"step": 3}).json()["data"] == []
    assert not client.emulator.state.files.workspace(run["id"]).exists()  # workspaces go when a run ends

    # Overrides: steps, threads and docs.
    override = client.post(f"{V2}/jobs/111/run/", json={
        "cause": "override", "steps_override": ["dbt run --select stg_customers"], "threads_override": 1,
        "generate_docs_override": False, "schema_override": None,
    }).json()["data"]
    done = wait_for_run(client, override["id"])
    assert done["status"] == 10, done["status_message"]
    steps = client.get(f"{V2}/runs/{override['id']}/", params={"include_related": "run_steps"}).json()["data"]["run_steps"]
    assert [s["name"] for s in steps] == [*DBT_STEPS, "Invoke dbt with `dbt run --select stg_customers`"]
    assert "threads: 1" in steps[1]["logs"]
    results = client.get(f"{V2}/runs/{override['id']}/artifacts/run_results.json").json()["results"]
    assert [r["unique_id"] for r in results] == ["model.jaffle_shop.stg_customers"]
