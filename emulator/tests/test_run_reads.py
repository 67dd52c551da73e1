"""Read-only operations around runs that no template client calls: a job's latest artifact, a failed
run's retry details, and one run step by its id."""

from conftest import ACCOUNT, wait_for_run

V2 = f"/api/v2/accounts/{ACCOUNT}"
LATE_DATA_JOB = 333  # fails on a real dbt node until its late data lands, which the failure does


def test_job_artifact_retry_details_and_run_step(client):
    assert client.get(f"{V2}/jobs/{LATE_DATA_JOB}/artifacts/run_results.json").status_code == 404  # no run yet
    # With a step after the failing `dbt build`, which the failure skips.
    failed = client.post(f"{V2}/jobs/{LATE_DATA_JOB}/run/", json={
        "cause": "late data", "steps_override": ["dbt build", "dbt run --select stg_customers"]}).json()["data"]
    assert wait_for_run(client, failed["id"])["status"] == 20

    latest = client.get(f"{V2}/jobs/{LATE_DATA_JOB}/artifacts/run_results.json")
    assert latest.headers["content-type"] == "application/json"
    assert latest.json()["metadata"]["env"]["DBT_CLOUD_RUN_ID"] == str(failed["id"])

    steps = client.get(f"{V2}/runs/{failed['id']}/", params={"include_related": "run_steps"}).json()["data"]["run_steps"]
    failed_index = next(step["index"] for step in steps if step["status"] == 20)
    details = client.get(f"{V2}/runs/{failed['id']}/retry/").json()["data"]
    assert steps[failed_index - 1]["name"] == "Invoke dbt with `dbt build`" and failed_index == len(steps)
    assert details == {"failed_step": "Invoke dbt with `dbt build`",
                       "skipped_steps": ["Invoke dbt with `dbt run --select stg_customers`"]}

    step = client.get(f"{V2}/steps/{steps[0]['id']}/").json()["data"]
    assert (step["run_id"], step["index"], step["name"], step["status"]) == (failed["id"], 1, "Clone Git Repository", 10)
    assert "Cloned" in step["logs"]
    assert client.get(f"{V2}/steps/{failed['id'] * 100 + 99}/").status_code == 404

    rerun = client.post(f"{V2}/jobs/{LATE_DATA_JOB}/rerun/").json()["data"]
    assert wait_for_run(client, rerun["id"])["status"] == 10
    latest = client.get(f"{V2}/jobs/{LATE_DATA_JOB}/artifacts/run_results.json").json()
    assert latest["metadata"]["env"]["DBT_CLOUD_RUN_ID"] == str(rerun["id"])
    # Not retryable any more: the failed run is no longer the job's latest.
    refused = client.get(f"{V2}/runs/{failed['id']}/retry/")
    assert refused.status_code == 400 and "RETRY_NOT_LATEST_RUN" in refused.json()["status"]["user_message"]
    assert client.get(f"{V2}/jobs/{LATE_DATA_JOB}/artifacts/no-such-file.json").status_code == 404
    assert client.get(f"{V2}/jobs/{LATE_DATA_JOB}/artifacts/../secrets").status_code in (400, 404)
