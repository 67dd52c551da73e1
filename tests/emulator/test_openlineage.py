"""The provider's OpenLineage extraction against an emulator run, through the OpenLineage file transport:
one event per built model, the model as its output dataset and its parent models and sources as its inputs.

The extraction names datasets from the project's connection `type` (openlineage-common's dbt processor),
and refuses `adapter`: what dbt Cloud reports for adapters outside its connection types (Databricks,
Trino, ...) and what the emulator reports by default (DuckDB is outside them too). So the lineage run
goes to an emulator started with DBT_CLOUD_EMULATOR_CONNECTION_TYPE=duckdb (emulator/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook

from local_runner import demo_tenant as tenant
from tests.e2e.dbt_cloud_api import DbtCloudApi
from tests.emulator_connection import provider_env
from tests.reliability.emulator_control import start_spare_emulator

pytestmark = pytest.mark.e2e

DAG = '''
from datetime import datetime

from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator
from airflow.sdk import DAG

with DAG("openlineage_from_dbt_cloud", start_date=datetime(2025, 1, 1), schedule=None):
    DbtCloudRunJobOperator(task_id="build", job_id=111, account_id=12345, wait_for_termination=True,
                           check_interval=3, timeout=600)
'''


@pytest.fixture
def duckdb_typed_emulator(emulator, tmp_path):
    spare = start_spare_emulator(emulator, tmp_path / "emulator", connection_type="duckdb")
    try:
        yield spare
    finally:
        spare.stop()


def test_the_default_adapter_connection_is_refused_as_for_databricks_in_dbt_cloud(emulator):
    """The provider gap the duckdb type works around: it closes when openlineage-common reads `adapter`."""
    from openlineage.common.provider.dbt import DbtCloudArtifactProcessor

    connection = DbtCloudHook().get_project(tenant.PROJECT_ID).json()["data"]["connection"]
    processor = DbtCloudArtifactProcessor(producer="test", job_namespace="test", manifest={}, run_result={},
                                          profile=connection, catalog=None)
    with pytest.raises(NotImplementedError, match="Passed adapter"):
        processor.extract_adapter_type(connection)


def test_each_built_model_is_an_output_with_its_parents_as_inputs(duckdb_typed_emulator, airflow_db, tmp_path):
    emulator, dbt_cloud = duckdb_typed_emulator, DbtCloudApi(duckdb_typed_emulator)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "openlineage_dag.py").write_text(textwrap.dedent(DAG))
    events_file = tmp_path / "openlineage.jsonl"
    env = {
        **os.environ, **provider_env(emulator),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "log_file_path": str(events_file), "append": True}),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "clients-test",
    }
    done = subprocess.run([sys.executable, "-m", "airflow", "dags", "test", "openlineage_from_dbt_cloud"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    run = dbt_cloud.run(dbt_cloud.runs(111)[-1]["id"])
    assert "openlineage_from_dbt_cloud" in run["trigger"]["cause"] and run["status"] == 10
    manifest = dbt_cloud.artifact(run["id"], "manifest.json", step=4)
    built = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    model_events = {
        event["outputs"][0]["name"].rsplit(".", 1)[-1]: event
        for event in events if event.get("eventType") == "COMPLETE" and event.get("outputs")
    }
    assert len(built) == 11 and set(built) <= set(model_events), sorted(set(built) - set(model_events))
    assert any(model_events[name]["inputs"] for name in built)
    for name, node in built.items():
        # openlineage-common's dbt processor takes models and sources as inputs (seeds it leaves out)
        parents = {
            (manifest["nodes"].get(parent) or manifest["sources"][parent])["name"]
            for parent in node["depends_on"]["nodes"] if parent.split(".")[0] in ("model", "source")
        }
        inputs = {dataset["name"].rsplit(".", 1)[-1] for dataset in model_events[name]["inputs"]}
        assert parents <= inputs, (name, parents, inputs)
