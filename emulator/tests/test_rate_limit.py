"""dbt Cloud's per-account rate limit, the forced lock-out, bulk synthetic runs and the runs list's pk filters."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from dbt_cloud_emulator.app import EmulatorApp
from dbt_cloud_emulator.rate_limit import RateLimiter
from conftest import ACCOUNT, AUTH, OTHER_TOKEN, make_settings, wait_for_run

JOBS = f"/api/v2/accounts/{ACCOUNT}/jobs/"
SYNTHETIC_JOB = 999


def limited_client(tmp_path, **settings) -> TestClient:
    return TestClient(EmulatorApp(make_settings(tmp_path, **settings)), base_url="https://testserver", headers=AUTH)


def test_over_the_limit_answers_429_in_dbt_clouds_envelope_and_counts_per_account(tmp_path):
    with limited_client(tmp_path, rate_limit_per_minute=5) as client:
        codes = [client.get(JOBS).status_code for _ in range(8)]
        assert codes == [200] * 5 + [429] * 3
        refused = client.get(JOBS)
        assert refused.json()["status"]["code"] == 429 and refused.json()["data"] is None
        assert "5 Administrative API requests" in refused.json()["status"]["user_message"]
        # Another account has its own budget; the token's account counts for account-less paths.
        other = {"Authorization": f"Token {OTHER_TOKEN}"}
        assert client.get("/api/v3/accounts/", headers=other).status_code == 200
        # The emulator's own routes are never limited.
        board = client.get("/_emulator/rate-limit").json()
        assert board["per_minute"] == 5
        assert board["accounts"][str(ACCOUNT)] == {"requests_last_minute": 5, "answered_429": 4, "locked_until": None}
        assert board["accounts"]["54321"]["requests_last_minute"] == 1


def test_the_window_slides_and_the_cooldown_locks_the_account_out():
    limiter = RateLimiter(per_minute=2, cooldown_seconds=0)
    assert [limiter.admit(1, now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.admit(1, now=60.5)  # the request of t=0 left the window
    assert not limiter.admit(1, now=60.6)
    cooling = RateLimiter(per_minute=2, cooldown_seconds=100)
    assert [cooling.admit(1, now=t) for t in (0, 1, 2)] == [True, True, False]
    assert not cooling.admit(1, now=70)  # the window has room, but the cooldown runs until t=102
    assert cooling.admit(1, now=103)
    assert RateLimiter(per_minute=0, cooldown_seconds=0).admit(1)  # 0: no limit


def test_a_forced_lockout_refuses_until_it_ends_and_the_limit_changes_live(tmp_path):
    with limited_client(tmp_path) as client:
        assert client.post("/_emulator/rate-limit/lockout", json={"account_id": ACCOUNT, "seconds": 1}).status_code == 200
        assert client.get(JOBS).status_code == 429
        assert client.get("/_emulator/rate-limit").json()["accounts"][str(ACCOUNT)]["locked_until"] is not None
        time.sleep(1.1)
        assert client.get(JOBS).status_code == 200
        assert client.post("/_emulator/rate-limit", json={"per_minute": 1}).json()["per_minute"] == 1
        assert client.get(JOBS).status_code == 429
        assert client.post("/_emulator/rate-limit", json={"per_minute": -1}).status_code == 400


def test_bulk_synthetic_runs_end_at_their_planned_times_in_their_planned_state(tmp_path):
    with limited_client(tmp_path, synthetic_seconds=300.0) as client:
        answer = client.post("/_emulator/synthetic/runs", json={"job_id": SYNTHETIC_JOB, "count": 3,
                                                               "seconds": [0.5, 1.5], "fail": 1})
        run_ids = answer.json()["run_ids"]
        assert len(run_ids) == 3
        ended = [wait_for_run(client, run_id, timeout=30) for run_id in run_ids]
        assert [run["status"] for run in ended] == [20, 10, 10]
        lengths = [run["finished_at"] and _seconds(run) for run in ended]
        assert lengths[0] < lengths[2] and 1.0 <= lengths[2] < 5.0, lengths
        assert client.post("/_emulator/synthetic/runs", json={"job_id": 111, "count": 1}).status_code == 404


def _seconds(run: dict) -> float:
    from datetime import datetime

    def parse(text: str) -> float:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    return parse(run["finished_at"]) - parse(run["created_at"])


def test_the_runs_list_filters_by_pk_and_pk_in_in_the_providers_list_format(tmp_path):
    with limited_client(tmp_path, synthetic_seconds=300.0) as client:
        run_ids = client.post("/_emulator/synthetic/runs", json={"job_id": SYNTHETIC_JOB, "count": 5}).json()["run_ids"]
        runs = f"/api/v2/accounts/{ACCOUNT}/runs/"
        wanted = run_ids[1:4]
        for spelling in (str(wanted), ",".join(map(str, wanted))):  # the provider sends str(list)
            page = client.get(runs, params={"pk__in": spelling, "limit": 100}).json()
            assert sorted(run["id"] for run in page["data"]) == wanted
            assert page["extra"]["pagination"]["total_count"] == 3
        assert [run["id"] for run in client.get(runs, params={"pk": run_ids[0]}).json()["data"]] == [run_ids[0]]
        assert client.get(runs, params={"pk": run_ids[0], "pk__in": str(wanted)}).json()["data"] == []
        client.post("/_emulator/synthetic/release")
