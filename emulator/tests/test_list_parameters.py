"""Each query parameter dbt Cloud documents for the runs and jobs lists, against the emulator: table-driven.

The tables must name every documented parameter (api/documented_parameters.py, written from the
official specs by devtools/check_openapi.py), so a parameter the specs add fails here until it has a case.
"""

from __future__ import annotations

import time

import pytest

from dbt_cloud_emulator.api.documented_parameters import DOCUMENTED_PARAMETERS

ACCOUNT = 12345
V2 = f"/api/v2/accounts/{ACCOUNT}"
SYNTHETIC_JOB = 999
NOW = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@pytest.fixture
def runs(client):
    """Three synthetic runs: the first two finish (the first in error), the third keeps running."""
    ids = client.post("/_emulator/synthetic/runs", json={"job_id": SYNTHETIC_JOB, "count": 2, "seconds": 0, "fail": 1}).json()["run_ids"]
    deadline = time.monotonic() + 30
    while {run["status"] for run in client.get(f"{V2}/runs/", params={"pk__in": ids}).json()["data"]} != {10, 20}:
        assert time.monotonic() < deadline, "synthetic runs did not finish"
        time.sleep(0.1)
    running = client.post(f"{V2}/jobs/{SYNTHETIC_JOB}/run/", json={"cause": "test"}).json()["data"]["id"]
    return [*ids, running]


# parameter -> (query, ids expected as indexes into the runs fixture; None: not a filter, any order)
RUNS_CASES = {
    "pk": ([("pk", "{1}")], [1]),
    "pk__in": ([("pk__in", "[{0}, {2}]")], [0, 2]),
    "id__gt": ([("id__gt", "{0}")], [1, 2]),
    "status": ([("status", "20")], [0]),
    "status__in": ([("status__in", "10"), ("status__in", "20")], [0, 1]),
    "job_definition_id": ([("job_definition_id", "999")], [0, 1, 2]),
    "project_id": ([("project_id", "70001")], [0, 1, 2]),
    "project_id__in": ([("project_id__in", "1,2")], []),
    "environment_id": ([("environment_id", "1")], []),
    "dbt_version": ([("dbt_version", "0.1.0")], []),
    "dbt_version__in": ([("dbt_version__in", '["0.1.0"]')], []),
    "has_docs_generated": ([("has_docs_generated", "true")], []),
    "has_sources_generated": ([("has_sources_generated", "true")], []),
    "deferring_run_id": ([("deferring_run_id", "{0}")], []),
    "created_at__range": ([("created_at__range", '["2001-01-01T00:00:00Z", "2001-12-31T23:59:59Z"]')], []),
    "finished_at__range": ([("finished_at__range", f'["2001-01-01T00:00:00Z", "{NOW[:4]}-12-31T23:59:59Z"]')], [0, 1]),
    "state": ([("state", "deleted")], []),
    "order_by": ([("order_by", "-id")], [2, 1, 0]),
    "limit": ([("limit", "2")], [0, 1]),
    "offset": ([("offset", "2")], [2]),
    "include_related": ([("include_related", '["trigger", "job"]')], [0, 1, 2]),
}

# parameter -> (query, job ids expected in order)
JOBS_CASES = {
    "pk": ([("pk", "555")], [555]),
    "project_id": ([("project_id", "70001"), ("limit", "1")], [111]),
    "project_id__in": ([("project_id__in", "[1, 2]")], []),
    "environment_id": ([("environment_id", "80002"), ("pk", "555")], [555]),
    "name__icontains": ([("name__icontains", "BUILD all"), ("order_by", "-id")], [555, 111]),
    "dbt_version__in": ([("dbt_version__in", "1.0.0")], []),
    "is_fusion_ready": ([("is_fusion_ready", "true")], []),
    "is_system": ([("is_system", "true")], []),
    "triggers_schedule": ([("triggers_schedule", "true"), ("pk", "111")], []),
    "state": ([("state", "deleted")], []),
    "order_by": ([("order_by", "-name"), ("pk__in", "111,999")], [999, 111]),
    "limit": ([("limit", "1")], [111]),
    "offset": ([("offset", "1000")], []),
    "include_related": ([("include_related", "most_recent_run,environment"), ("pk", "111")], [111]),
}


def test_every_documented_parameter_of_the_runs_and_jobs_lists_has_a_case():
    assert sorted(RUNS_CASES) == sorted(DOCUMENTED_PARAMETERS["GET /api/v2/accounts/{}/runs/"])
    assert sorted(JOBS_CASES) == sorted(DOCUMENTED_PARAMETERS["GET /api/v2/accounts/{}/jobs/"])


@pytest.mark.parametrize("parameter", sorted(RUNS_CASES))
def test_runs_list_parameter(client, runs, parameter):
    query, expected = RUNS_CASES[parameter]
    params = [(name, value.format(*runs)) for name, value in query] + [("job_definition_id", "999")]
    body = client.get(f"{V2}/runs/", params=params).json()
    assert body["status"]["is_success"], body["status"]
    assert [run["id"] for run in body["data"]] == [runs[index] for index in expected]
    if parameter == "include_related":
        assert all(run["trigger"] and run["job"] for run in body["data"])


@pytest.mark.parametrize("parameter", sorted(JOBS_CASES))
def test_jobs_list_parameter(client, parameter):
    query, expected = JOBS_CASES[parameter]
    body = client.get(f"{V2}/jobs/", params=query).json()
    assert body["status"]["is_success"], body["status"]
    assert [job["id"] for job in body["data"]] == expected
    if parameter == "include_related":
        assert body["data"][0]["environment"]["id"] == 80001 and "most_recent_run" in body["data"][0]


def test_deleted_jobs_are_listed_with_state_deleted_or_all(client):
    job = client.post(f"{V2}/jobs/", json={"environment_id": 80001, "name": "gone", "execute_steps": ["dbt run"]}).json()["data"]
    client.delete(f"{V2}/jobs/{job['id']}/")
    for state, expected in (("active", []), ("deleted", [job["id"]]), ("2", [job["id"]]), ("all", [job["id"]])):
        listed = client.get(f"{V2}/jobs/", params={"state": state, "name__icontains": "gone"}).json()["data"]
        assert [item["id"] for item in listed] == expected, state
    assert "state must be active" in client.get(f"{V2}/jobs/", params={"state": "gone"}).json()["status"]["user_message"]


def test_a_documented_parameter_the_emulator_does_not_apply_is_400_naming_it(client):
    answer = client.get(f"{V2}/projects/", params={"include_related": "environments"})
    assert answer.status_code == 400 and "include_related" in answer.json()["status"]["user_message"]
    assert client.get(f"{V2}/projects/", params={"not_documented": "1"}).status_code == 200  # ignored, as dbt Cloud does


@pytest.mark.parametrize("value", ['["2001-01-01"]', "yesterday,today"])
def test_a_bad_range_is_400_with_the_form(client, value):
    message = client.get(f"{V2}/runs/", params={"finished_at__range": value}).json()["status"]["user_message"]
    assert "finished_at__range" in message
