"""Jobs and job environment variables through the API: create, update, delete, include_related,
validation only where dbt Cloud documents it, and persistence across a restart."""

import pytest
from fastapi.testclient import TestClient

from conftest import ACCOUNT, AUTH, make_settings, wait_for_run
from dbt_cloud_emulator.app import EmulatorApp

V2 = f"/api/v2/accounts/{ACCOUNT}"
VARIABLES = f"/api/v3/accounts/{ACCOUNT}/projects/70001/environment-variables"
JOB = {"account_id": ACCOUNT, "project_id": 70001, "environment_id": 80002, "name": "Nightly [[nightly]]",
       "execute_steps": ["dbt seed", "dbt run --select staging"], "settings": {"threads": 2, "target_name": "ci"},
       "schedule": {"cron": "0 5 * * *"}, "unknown_field": "ignored"}


def test_create_update_delete_and_list(client):
    created = client.post(f"{V2}/jobs/", json=JOB).json()["data"]
    assert created["id"] >= 1001 and "unknown_field" not in created
    assert (created["environment_id"], created["settings"], created["schedule"]["cron"]) == (80002, {"threads": 2, "target_name": "ci"}, "0 5 * * *")
    assert created["triggers"]["schedule"] is False and created["execution"] == {"timeout_seconds": 0}

    updated = client.post(f"{V2}/jobs/{created['id']}", json={**JOB, "execute_steps": ["dbt build"]}).json()["data"]
    assert updated["execute_steps"] == ["dbt build"] and updated["settings"]["threads"] == 2
    assert created["id"] in [job["id"] for job in client.get(f"{V2}/jobs/", params={"environment_id": 80002}).json()["data"]]

    deleted = client.delete(f"{V2}/jobs/{created['id']}").json()["data"]
    assert deleted["state"] == 2
    assert client.get(f"{V2}/jobs/{created['id']}/").status_code == 404
    assert created["id"] not in [job["id"] for job in client.get(f"{V2}/jobs/").json()["data"]]


def test_the_template_jobs_are_named_as_jobs_as_code_names_them_and_found_by_name_part(client):
    """Jobs 111-444 come from dbt_cloud_jobs.yml; `name__icontains` (the provider's name_contains) narrows a list."""
    listed = client.get(f"{V2}/jobs/", params={"name__icontains": "[[BUILD_ALL]]"}).json()
    assert [(job["id"], job["name"], job["environment_id"]) for job in listed["data"]] == [
        (111, "Build all models [[build_all]]", 80001), (555, "Build all models [[build_all]]", 80002)]
    assert listed["extra"]["filters"]["name__icontains"] == "[[BUILD_ALL]]"
    publish = client.get(f"{V2}/jobs/444/").json()["data"]
    assert (publish["name"], publish["execute_steps"]) == ("Publish marts [[publish_marts]]",
                                                           ["dbt run --select marts", "dbt test --select marts"])


def test_a_missing_jobs_as_code_file_names_the_setting(tmp_path):
    with pytest.raises(ValueError, match="DBT_CLOUD_EMULATOR_JOBS_AS_CODE_FILE"):
        EmulatorApp(make_settings(tmp_path, jobs_as_code_file=tmp_path / "absent.yml"))


def test_only_documented_rules_refuse_a_job(client):
    for body, fragment in [
        ({**JOB, "name": ""}, "name is required"),
        ({**JOB, "execute_steps": ["rm -rf /"]}, "dbt commands"),
        ({**JOB, "environment_id": 4242}, "not in account"),
        ({**JOB, "project_id": 1}, "belongs to project 70001"),
        ({**JOB, "settings": {"threads": 0}}, "settings.threads"),
    ]:
        response = client.post(f"{V2}/jobs/", json=body)
        assert response.status_code == 400 and fragment in response.json()["status"]["user_message"], body


def test_job_variables_and_include_related(client):
    job_id = client.post(f"{V2}/jobs/", json=JOB).json()["data"]["id"]
    body = {"account_id": ACCOUNT, "project_id": 70001, "name": "DBT_LABEL", "type": "job",
            "job_definition_id": job_id, "raw_value": "one"}
    variable = client.post(f"{VARIABLES}/", json=body).json()["data"]
    client.post(f"{VARIABLES}/{variable['id']}/", json={**body, "raw_value": "two"})
    listed = client.get(f"{VARIABLES}/job/", params={"job_definition_id": job_id}).json()["data"]
    assert listed == {"DBT_LABEL": {"job": {"id": variable["id"], "value": "two"}}}
    job = client.get(f"{V2}/jobs/{job_id}/", params={"include_related": "custom_environment_variables,most_recent_run"})
    assert [v["value"] for v in job.json()["data"]["custom_environment_variables"]] == ["two"]
    assert job.json()["data"]["most_recent_run"] is None
    assert client.delete(f"{VARIABLES}/{variable['id']}/").status_code == 204
    assert client.get(f"{VARIABLES}/job/", params={"job_definition_id": job_id}).json()["data"] == {}
    bad = client.post(f"{VARIABLES}/", json={**body, "name": "LABEL"})
    assert bad.status_code == 400 and "DBT_" in bad.json()["status"]["user_message"]


def test_jobs_survive_a_restart_and_a_deleted_tenant_job_stays_deleted(tmp_path):
    settings = make_settings(tmp_path)
    with TestClient(EmulatorApp(settings), base_url="https://testserver", headers=AUTH) as first:
        created = first.post(f"{V2}/jobs/", json=JOB).json()["data"]["id"]
        first.delete(f"{V2}/jobs/555/")
    with TestClient(EmulatorApp(settings), base_url="https://testserver", headers=AUTH) as second:
        assert second.get(f"{V2}/jobs/{created}/").json()["data"]["name"] == "Nightly [[nightly]]"
        assert second.get(f"{V2}/jobs/555/").status_code == 404
        assert second.get(f"{V2}/jobs/111/").status_code == 200


def test_v3_accounts_environments_and_missing_slash(client):
    assert [a["id"] for a in client.get("/api/v3/accounts/").json()["data"]] == [ACCOUNT]
    assert client.get(f"/api/v3/accounts/{ACCOUNT}").json()["data"]["id"] == ACCOUNT
    environments = client.get(f"/api/v3/accounts/{ACCOUNT}/environments/", params={"project_id": 70001}).json()["data"]
    assert sorted(env["id"] for env in environments) == [80001, 80002]
    assert client.get(f"{V2}/projects/70001").json()["data"]["name"] == "Jaffle Shop Analytics"
    missing = client.get("/api/v3/accounts/12345/webhooks/").json()["status"]["user_message"]
    assert missing.startswith("No such endpoint: GET /api/v3/accounts/12345/webhooks/.") and "provider" not in missing


def test_a_run_of_an_api_job_runs_its_steps_with_its_variables(client):
    """Precedence as in dbt Cloud: project default < environment value < job override."""
    step = ("""dbt compile --inline "select '{{ env_var('DBT_LABEL') }}' as label, """
            """'{{ env_var('DBT_REGION') }}' as region, '{{ env_var('DBT_CLOUD_ENVIRONMENT_ID') }}' as environment\"""")
    job_id = client.post(f"{V2}/jobs/", json={**JOB, "environment_id": 80001, "execute_steps": [step]}).json()["data"]["id"]
    scope = {"account_id": ACCOUNT, "project_id": 70001}
    for body in ({"name": "DBT_LABEL", "type": "job", "job_definition_id": job_id, "raw_value": "from-the-job-variable"},
                 {"name": "DBT_LABEL", "type": "project", "raw_value": "project-default"},
                 {"name": "DBT_REGION", "type": "project", "raw_value": "project-default"},
                 {"name": "DBT_REGION", "type": "environment", "environment_id": 80001, "raw_value": "eu-production"},
                 {"name": "DBT_REGION", "type": "environment", "environment_id": 80002, "raw_value": "us-staging"}):
        assert client.post(f"{VARIABLES}/", json={**scope, **body}).status_code == 200
    run = client.post(f"{V2}/jobs/{job_id}/run/", json={"cause": "variables"}).json()["data"]
    assert wait_for_run(client, run["id"])["status"] == 10
    steps = client.get(f"{V2}/runs/{run['id']}/", params={"include_related": "run_steps"}).json()["data"]["run_steps"]
    assert steps[-1]["name"] == f"Invoke dbt with `{step}`"
    assert "select 'from-the-job-variable' as label, 'eu-production' as region, '80001' as environment" in steps[-1]["logs"]

    by_environment = client.get(f"{VARIABLES}/environment/").json()["data"]
    assert by_environment["environments"] == ["project", "Production", "Staging"]
    assert {name: {column: cell["value"] for column, cell in cells.items()}
            for name, cells in by_environment["variables"].items()} == {
        "DBT_LABEL": {"project": "project-default"},
        "DBT_REGION": {"project": "project-default", "Production": "eu-production", "Staging": "us-staging"},
    }
