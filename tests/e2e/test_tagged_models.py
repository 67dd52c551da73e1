"""dbt_cloud_hourly_models / dbt_cloud_daily_models: job 222 builds only the tagged subset."""

from __future__ import annotations

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from local_runner import demo_tenant as tenant
from tests.polling import SUCCESS

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("tag", ["hourly", "daily"])
def test_each_schedule_builds_only_its_tag(dbt_cloud, tag):
    dag = load_dag(f"dbt_cloud_{tag}_models")
    outcome = run_dag(dag)

    assert outcome.state == "success"
    run = dbt_cloud.run(outcome.xcom(f"build_{tag}_models"))
    assert (run["job_definition_id"], run["status"]) == (tenant.TAGGED_JOB_ID, SUCCESS)
    assert run["trigger"]["steps_override"] == [f"dbt build --select tag:{tag}"]

    command = f"dbt build --select tag:{tag}"
    nodes = dbt_cloud.artifact(run["id"], "manifest.json", dbt_cloud.step_index(run["id"], command))["nodes"]
    results = dbt_cloud.results_by_node(run["id"], command)
    built_models = {uid for uid in results if uid.startswith("model.")}
    tagged_models = {uid for uid, node in nodes.items() if node["resource_type"] == "model" and tag in node["tags"]}
    assert built_models == tagged_models
    assert built_models < {uid for uid, node in nodes.items() if node["resource_type"] == "model"}
    assert {results[uid] for uid in built_models} == {"success"}


def test_the_two_dags_keep_their_own_schedules():
    assert load_dag("dbt_cloud_hourly_models").timetable.expression == "15 * * * *"
    assert load_dag("dbt_cloud_daily_models").timetable.expression == "30 5 * * *"
