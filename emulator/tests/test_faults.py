"""Fault injection: off by default, only on /api/, changeable at run time, dropped connections for real."""

import httpx
import pytest

from conftest import ACCOUNT
from dbt_cloud_emulator.faults import FaultInjector
from dbt_cloud_emulator.settings import FaultSettings, SettingsError

RUNS = f"/api/v2/accounts/{ACCOUNT}/runs/"


def test_injector_draws_are_reproducible_with_a_seed():
    draws = [FaultInjector(FaultSettings(rate=0.5, seed=7)).draw({}) for _ in range(2)]
    assert draws[0] == draws[1]
    injector = FaultInjector(FaultSettings(rate=0.3, kinds=("429",), seed=1))
    hits = sum(injector.draw({}) == "429" for _ in range(2000))
    assert 450 < hits < 750


def test_bad_fault_settings_are_refused_with_the_field_named():
    injector = FaultInjector(FaultSettings())
    with pytest.raises(SettingsError, match="RATE"):
        injector.update({"rate": 2})
    with pytest.raises(SettingsError, match="FAULT_KINDS"):
        injector.update({"kinds": "404"})
    with pytest.raises(SettingsError, match="Unknown fault setting"):
        injector.update({"chaos": 1})


def test_errors_and_delays_hit_api_routes_only(client):
    assert client.get(RUNS).status_code == 200  # off by default
    assert client.post("/_emulator/faults", json={"rate": 1, "kinds": ["429"], "retry_after_seconds": 3}).status_code == 200
    limited = client.get(RUNS)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert limited.headers["content-type"] == "application/json" and limited.json()["data"] is None
    assert client.get("/_emulator/health").status_code == 200
    client.post("/_emulator/faults", json={"kinds": "500,503"})
    assert {client.get(RUNS).status_code for _ in range(20)} == {500, 503}
    client.post("/_emulator/faults", json={"kinds": ["delay"], "delay_seconds": 0.3})
    response = client.get(RUNS)
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.3
    state = client.post("/_emulator/faults", json={"rate": 0}).json()
    assert state["injected"] == {"429": 1, "500": state["injected"]["500"], "503": 20 - state["injected"]["500"], "delay": 1}
    stats = client.get("/_emulator/stats").json()["by_route"]["GET /api/v2/accounts/{account_id}/runs/"]
    assert stats["429"] == 1 and stats["200"] == 2
    assert client.post("/_emulator/faults", json={"rate": -1}).status_code == 400


def test_dropped_connections_and_drop_after_commit(served):
    with served.client() as http:
        http.post("/_emulator/faults", json={"rate": 1, "kinds": ["drop"]})
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(RUNS)
        http.post("/_emulator/faults", json={"rate": 0, "drop_after_commit_rate": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(f"/api/v2/accounts/{ACCOUNT}/jobs/999/run/", json={"cause": "lost answer"})
        assert http.get(RUNS).status_code == 200  # only triggers are dropped in this mode
        http.post("/_emulator/faults", json={"drop_after_commit_rate": 0})
        runs = http.get(RUNS, params={"job_definition_id": 999}).json()["data"]
        assert [run["trigger"] for run in runs] == [None]  # the run exists though its response was lost
        assert http.get(RUNS + f"{runs[0]['id']}/", params={"include_related": "trigger"}).json()["data"]["trigger"]["cause"] == "lost answer"
        stats = http.get("/_emulator/stats").json()["by_route"]
        assert stats["GET /api/v2/accounts/{account_id}/runs/"]["dropped"] == 1
        assert stats["POST /api/v2/accounts/{account_id}/jobs/{job_id}/run/"] == {"dropped": 1}
    log = served.log.read_text()
    assert "dbtc_emulator_local_token" not in log and "Authorization" not in log
    assert "POST /api/v2/accounts/12345/jobs/999/run/ dropped" in log
