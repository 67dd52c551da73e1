"""dbt_cloud_run_job: the guide's DAG triggers job 111, waits for it and links to the run."""

from __future__ import annotations

import urllib.request

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from local_runner import demo_tenant as tenant
from tests.polling import SUCCESS

pytestmark = pytest.mark.e2e

MARTS = {"orders", "customers", "daily_revenue", "hourly_order_metrics", "landed_daily_revenue"}


def test_the_run_succeeds_builds_every_model_and_is_linked(dbt_cloud, emulator):
    outcome = run_dag(load_dag("dbt_cloud_run_job"))

    assert outcome.state == "success"
    run_id = outcome.xcom("run_dbt_cloud_job")
    assert outcome.xcom("run_dbt_cloud_job", key="job_run_id") == run_id
    run = dbt_cloud.run(run_id)
    assert (run["job_definition_id"], run["status"]) == (tenant.BUILD_ALL_JOB_ID, SUCCESS)
    assert "'run_dbt_cloud_job' in the dbt_cloud_run_job DAG" in run["trigger"]["cause"]
    # The "Monitor Job Run" link reads this XCom: the run's page on the emulator, over plain HTTP,
    # so it opens as an ordinary browser opens it: no CA bundle, no certificate warning.
    assert outcome.xcom("run_dbt_cloud_job", key="job_run_url") == run["href"]
    assert run["href"] == f"{emulator.web_url}/deploy/{tenant.ACCOUNT_ID}/projects/{tenant.PROJECT_ID}/runs/{run_id}/"
    with urllib.request.urlopen(run["href"], timeout=10) as page:
        assert page.status == 200 and f"Run #{run_id}" in page.read().decode()
    assert [step["status"] for step in run["run_steps"]] == [SUCCESS] * len(run["run_steps"])
    assert any("`dbt build`" in step["name"] for step in run["run_steps"])

    results = dbt_cloud.results_by_node(run_id)
    models = {uid.rsplit(".", 1)[1]: status for uid, status in results.items() if uid.startswith("model.")}
    assert MARTS <= set(models)
    assert set(models.values()) == {"success"}
    tests = [status for uid, status in results.items() if uid.startswith("test.")]
    assert tests and set(tests) == {"pass"}
