"""The wire, in-process: envelope, auth, errors, pagination, filters, include_related, trigger bodies."""

import time

import pytest
from fastapi.testclient import TestClient

from conftest import ACCOUNT, AUTH, OTHER_TOKEN, make_settings, wait_for_run
from dbt_cloud_emulator.app import EmulatorApp
from dbt_cloud_emulator.settings import SettingsError

V2 = f"/api/v2/accounts/{ACCOUNT}"
V3 = f"/api/v3/accounts/{ACCOUNT}"


def _trigger(client, job_id=999, **body):
    response = client.post(f"{V2}/jobs/{job_id}/run/", json={"cause": "test", "steps_override": None,
                                                             "schema_override": None, **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_root_answers_the_accounts_envelope(client):
    body = client.get("/").json()
    assert body["status"] == {"code": 200, "is_success": True, "user_message": "Success!", "developer_message": ""}
    assert [account["id"] for account in body["data"]] == [ACCOUNT]


@pytest.mark.parametrize("header", [None, "Token wrong", "Basic dbtc_emulator_local_token", "Token"])
def test_missing_or_bad_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    client.headers.pop("Authorization")
    response = client.get(f"{V2}/jobs/", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": {"code": 401, "is_success": False, "user_message": "Invalid token.",
                                          "developer_message": ""}, "data": None}


def test_bearer_works_and_other_accounts_token_is_403(client):
    assert client.get(f"{V2}/jobs/111/", headers={"Authorization": "Bearer dbtc_emulator_local_token"}).status_code == 200
    response = client.get(f"{V2}/jobs/111/", headers={"Authorization": f"Token {OTHER_TOKEN}"})
    assert response.status_code == 403
    assert response.json()["status"]["user_message"] == "Access denied: Token is not scoped to account."


def test_not_found_says_what_and_how_to_list(client):
    response = client.get(f"{V2}/jobs/4242")
    assert response.status_code == 404 and response.json()["data"] is None
    assert response.json()["status"]["user_message"] == (
        f"Job 4242 not found in account {ACCOUNT}; list jobs with GET /api/v2/accounts/{ACCOUNT}/jobs/."
    )
    assert "list runs" in client.get(f"{V2}/runs/1/").json()["status"]["user_message"]
    assert client.get("/api/v2/nope/").json()["status"]["code"] == 404
    bad = client.get(f"{V2}/jobs/abc/")
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/json"


def test_get_job_with_and_without_trailing_slash(client):
    assert client.get(f"{V2}/jobs/111").json()["data"]["name"] == "Build all models [[build_all]]"
    job = client.get(f"{V2}/jobs/111/").json()["data"]
    assert job["execute_steps"] == ["dbt build"] and job["generate_docs"] is True
    assert job["settings"] == {"threads": 4, "target_name": "prod"}


def test_jobs_list_filters_like_get_job_by_name_needs(client):
    body = client.get(f"{V2}/jobs/", params={"project_id": 70001, "environment_id": 80001,
                                             "name__icontains": "build ALL"}).json()
    assert [job["id"] for job in body["data"]] == [111]
    assert body["extra"]["filters"]["limit"] == 100 and body["extra"]["pagination"] == {"count": 1, "total_count": 1}
    by_name = client.get(f"{V2}/jobs/", params={"name__icontains": "build all", "order_by": "-id"}).json()["data"]
    assert [job["id"] for job in by_name] == [555, 111]
    assert client.get(f"{V2}/jobs/", params={"order_by": "colour"}).status_code == 400


def test_v3_projects_and_environments(client):
    projects = client.get(f"{V3}/projects/", params={"name__icontains": "jaffle"}).json()
    assert [(p["id"], p["name"]) for p in projects["data"]] == [(70001, "Jaffle Shop Analytics")]
    assert client.get(f"{V3}/projects/", params={"name__icontains": "nothing"}).json()["data"] == []
    assert client.get(f"{V3}/projects/70001/").json()["data"]["connection"]["type"] == "adapter"
    environments = client.get(f"{V3}/projects/70001/environments/", params={"name__icontains": "prod"}).json()
    assert [(e["id"], e["name"]) for e in environments["data"]] == [(80001, "Production")]
    assert client.get(f"{V3}/projects/70001/environments/80002/").json()["data"]["deployment_type"] == "staging"
    assert client.get(f"{V3}/projects/1/environments/").status_code == 404


def test_trigger_accepts_explicit_nulls_and_records_overrides(client):
    run = _trigger(client, job_id=999, git_branch="feature", threads_override=2, generate_docs_override=None)
    assert run["status"] == 1 and run["status_humanized"] == "Queued" and run["in_progress"]
    assert run["href"] == f"http://localhost:8444/deploy/{ACCOUNT}/projects/70001/runs/{run['id']}/"
    assert run["trigger"]["git_branch"] == "feature" and run["trigger"]["threads_override"] == 2
    assert run["git_branch"] == "feature"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({}, "cause is required"),
        ({"cause": "x" * 256}, "at most 255"),
        ({"cause": "x", "steps_override": ["rm -rf /"]}, "dbt commands"),
        ({"cause": "x", "threads_override": "four"}, "threads_override"),
    ],
)
def test_bad_trigger_bodies_are_400_with_the_fix(client, body, fragment):
    response = client.post(f"{V2}/jobs/111/run/", json=body)
    assert response.status_code == 400 and fragment in response.json()["status"]["user_message"]


def test_unknown_body_fields_are_ignored_as_dbt_cloud_ignores_them(client):
    # dbt-cloud-cli's `job run` sends account_id and job_id in the trigger body.
    run = _trigger(client, account_id=ACCOUNT, job_id=999, colour="blue")
    assert "colour" not in run["trigger"] and "account_id" in run["trigger"]  # the trigger's own account_id
    assert run["trigger"]["account_id"] == ACCOUNT and run["trigger"]["cause"] == "test"


def test_run_status_flags_and_include_related_forms(client):
    run = _trigger(client)
    plain = client.get(f"{V2}/runs/{run['id']}/").json()["data"]
    assert plain["trigger"] is None and plain["job"] is None and plain["run_steps"] == []
    for params in (
        [("include_related", "run_steps"), ("include_related", "job")],
        [("include_related", "run_steps,job")],
        [("include_related", "['run_steps', 'job']")],
    ):
        data = client.get(f"{V2}/runs/{run['id']}/", params=params).json()["data"]
        assert data["job"]["id"] == 999 and isinstance(data["run_steps"], list)
    assert client.get(f"{V2}/runs/{run['id']}/", params={"include_related": "bogus"}).status_code == 400


def test_runs_paginate_past_100_filter_and_order(client):
    ids = [_trigger(client)["id"] for _ in range(103)]
    first = client.get(f"{V2}/runs/", params={"job_definition_id": 999}).json()
    assert first["extra"]["filters"]["limit"] == 100
    assert first["extra"]["pagination"] == {"count": 100, "total_count": 103}
    second = client.get(f"{V2}/runs/", params={"job_definition_id": 999, "offset": 100}).json()
    assert [r["id"] for r in first["data"] + second["data"]] == ids
    assert second["extra"]["pagination"] == {"count": 3, "total_count": 103}
    assert client.get(f"{V2}/runs/", params={"limit": 101}).json()["status"]["user_message"] == "Limit must not exceed 100"
    past_the_end = client.get(f"{V2}/runs/", params={"job_definition_id": 999, "offset": 103}).json()
    assert past_the_end["data"] == [] and past_the_end["extra"]["pagination"] == {"count": 0, "total_count": 103}

    latest = client.get(f"{V2}/runs/", params={"job_definition_id": 999, "order_by": "-created_at", "limit": 1}).json()
    assert [r["id"] for r in latest["data"]] == [ids[-1]]
    in_progress = client.get(f"{V2}/runs/", params={"status__in": "[1, 2, 3]", "limit": 5}).json()
    assert in_progress["extra"]["pagination"]["total_count"] == 103
    assert client.get(f"{V2}/runs/", params={"status": 10}).json()["data"] == []
    assert client.get(f"{V2}/runs/", params=[("status__in", "10"), ("status__in", "20")]).json()["data"] == []
    assert client.get(f"{V2}/runs/", params={"status__in": "[1, 7]"}).status_code == 400
    assert client.get(f"{V2}/runs/", params={"project_id": 1}).json()["data"] == []


def test_cancel_a_synthetic_run(client):
    run = _trigger(client)
    cancelled = client.post(f"{V2}/runs/{run['id']}/cancel/").json()["data"]
    assert (cancelled["status"], cancelled["is_cancelled"], cancelled["is_complete"]) == (30, True, True)
    assert cancelled["status_message"] == "Cancelled via the API."


def test_a_release_ends_waiting_synthetic_runs_now_failing_the_ones_named(client):
    keep, fail = _trigger(client), _trigger(client)
    for run in (keep, fail):
        wait_for_run(client, run["id"], timeout=30, statuses=(3,))

    answer = client.post("/_emulator/synthetic/release", json={"fail_run_ids": [fail["id"]]}).json()

    assert answer == {"released": 2, "failing": 1}
    assert wait_for_run(client, keep["id"], timeout=30)["status"] == 10
    failed = wait_for_run(client, fail["id"], timeout=30)
    assert failed["status"] == 20 and "on request" in failed["status_message"]
    later = _trigger(client)  # a release ends the runs waiting then, not the ones after it
    wait_for_run(client, later["id"], timeout=30, statuses=(3,))
    time.sleep(1)
    assert client.get(f"{V2}/runs/{later['id']}/").json()["data"]["status"] == 3
    assert client.post("/_emulator/synthetic/release", json={"fail_run_ids": "x"}).status_code == 400


def test_rerun_without_a_failed_run_is_a_fresh_run(client):
    run = client.post(f"{V2}/jobs/999/rerun/").json()["data"]
    assert run["status"] == 1 and run["retrying_run_id"] is None


def test_artifacts_of_a_run_without_artifacts(client):
    run = _trigger(client)
    assert client.get(f"{V2}/runs/{run['id']}/artifacts/").json()["data"] == []
    missing = client.get(f"{V2}/runs/{run['id']}/artifacts/manifest.json")
    assert missing.status_code == 404 and "list this run's artifacts" in missing.json()["status"]["user_message"]
    assert client.get(f"{V2}/runs/{run['id']}/artifacts/..%2F..%2Fx.json").status_code == 400
    assert client.get(f"{V2}/runs/{run['id']}/artifacts/manifest.json", params={"step": 9}).status_code == 400


def test_run_page_and_emulator_endpoints_need_no_auth(client):
    run = _trigger(client)
    client.headers.pop("Authorization")
    page = client.get(f"/deploy/{ACCOUNT}/projects/70001/runs/{run['id']}/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert f"Run #{run['id']}" in page.text and 'http-equiv="refresh"' in page.text
    assert client.get("/_emulator/health").json() == {"status": "ok"}
    stats = client.get("/_emulator/stats").json()
    assert stats["by_route"]["POST /api/v2/accounts/{account_id}/jobs/{job_id}/run/"] == {"200": 1}
    assert client.post("/_emulator/jobs/333/reset").json() == {"job_id": 333, "late_data_landed": False}


def test_the_connection_type_setting(tmp_path):
    app = EmulatorApp(make_settings(tmp_path, connection_type="duckdb"))
    with TestClient(app, base_url="https://testserver", headers=AUTH) as duckdb_typed:
        assert duckdb_typed.get(f"{V3}/projects/70001/").json()["data"]["connection"]["type"] == "duckdb"
    with pytest.raises(SettingsError, match="CONNECTION_TYPE='postgres' must be one of adapter, duckdb"):
        make_settings(tmp_path, connection_type="postgres")
