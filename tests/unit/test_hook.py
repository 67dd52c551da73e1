"""ResilientDbtCloudHook without a network: which answers it retries, how long it waits, what it says.

Requests never leave the process: HttpHook.run_and_check (where requests sends) is replaced by a
fake that records what it was given and answers as told.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import requests
from airflow.providers.http.hooks.http import HttpHook
from tenacity import RetryCallState

from include.dbt_cloud.hook import (
    RETRY_POLICY,
    DbtCloudRequestRefusedError,
    DbtCloudUnreachableError,
    ResilientDbtCloudHook,
    TransientDbtCloudError,
    _backoff,
    retry_after_seconds,
)

HOST = "tenant.example.invalid"


def response(status: int, body: dict | None = None, path: str = "/api/v2/accounts/1/jobs/2/",
             headers: dict[str, str] | None = None, method: str = "GET") -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer.reason = status, requests.status_codes._codes[status][0].replace("_", " ").title()
    answer._content = json.dumps(body or {"data": {"id": 2}}).encode()
    answer.headers.update(headers or {})
    answer.request = requests.Request(method, f"https://{HOST}{path}").prepare()
    return answer


@pytest.fixture
def connection(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT",
                       json.dumps({"conn_type": "dbt_cloud", "host": HOST, "login": "1", "password": "secret-token"}))


@pytest.fixture
def sent(monkeypatch, connection):
    """The requests the hooks send (method, path, extra_options); `sent.answers` is what they get back, in turn."""
    log = SimpleNamespace(requests=[], answers=[])

    def run_and_check(self, session, prepped_request, extra_options):
        log.requests.append((prepped_request.method, prepped_request.path_url.split("?")[0], dict(extra_options)))
        answer = log.answers.pop(0) if log.answers else response(200)
        if isinstance(answer, BaseException):
            raise answer
        self.check_response(answer)
        return answer

    monkeypatch.setattr(HttpHook, "run_and_check", run_and_check)
    return log


def state_after(attempt: int, error: BaseException | None = None) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    if error is not None:
        state.set_exception((type(error), error, None))
    return state


# One retry policy (rows G1, G3)

def test_the_default_policy_is_retry_policy_and_hook_params_change_it():
    assert (ResilientDbtCloudHook().retry_limit, ResilientDbtCloudHook().retry_delay) == (8, 1.0)
    assert ResilientDbtCloudHook(**RETRY_POLICY).retry_args["stop"].max_attempt_number == 8
    assert ResilientDbtCloudHook(retry_limit=3).retry_args["stop"].max_attempt_number == 3


def test_the_backoff_doubles_from_retry_delay_up_to_ten_seconds():
    assert [_backoff(1.0)(state_after(n)) for n in range(1, 8)] == [1, 2, 4, 8, 10, 10, 10]
    assert [_backoff(2.0)(state_after(n)) for n in range(1, 5)] == [2, 4, 8, 10]


def test_retry_after_replaces_the_backoff_up_to_the_ceiling():
    throttled = TransientDbtCloudError(response(429, headers={"Retry-After": "3"}))
    assert _backoff(1.0)(state_after(1, throttled)) == 3
    assert _backoff(1.0)(state_after(1, TransientDbtCloudError(response(429, headers={"Retry-After": "600"})))) == 10


@pytest.mark.parametrize("error, seconds", [
    (TransientDbtCloudError(response(503, headers={"Retry-After": "2"})), 2.0),
    (SimpleNamespace(headers={"Retry-After": " 5 "}), 5.0),  # aiohttp's ClientResponseError keeps them here
    (TransientDbtCloudError(response(429, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"})), None),
    (TransientDbtCloudError(response(500)), None),
    (None, None),
])
def test_retry_after_is_read_from_requests_and_aiohttp_errors(error, seconds):
    assert retry_after_seconds(error) == seconds


# Which answers are retried (rows G1, G5)

@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_answers_are_retried(status):
    with pytest.raises(TransientDbtCloudError, match=f"^{status}:"):
        ResilientDbtCloudHook().check_response(response(status))
    assert ResilientDbtCloudHook._retryable_error(TransientDbtCloudError(response(status)))


def test_a_refusal_is_not_retried():
    assert not ResilientDbtCloudHook._retryable_error(DbtCloudRequestRefusedError("401:Unauthorized"))


def test_the_sync_path_retries_a_503_then_succeeds(sent):
    sent.answers = [response(503), response(429, headers={"Retry-After": "0"}), response(200)]
    hook = ResilientDbtCloudHook(retry_delay=0.01)

    assert hook.get_job(job_id=2, account_id=1).json()["data"]["id"] == 2
    assert len(sent.requests) == 3


# What a refusal says (row G5)

@pytest.mark.parametrize("status, path, fix", [
    (401, "/api/v2/accounts/1/jobs/2/", "set the password of connection 'dbt_cloud_default' (AIRFLOW_CONN_DBT_CLOUD_DEFAULT"),
    (403, "/api/v2/accounts/1/jobs/2/", "set DBT_CLOUD_ACCOUNT_ID"),
    (404, "/api/v2/accounts/1/jobs/2/", "check DBT_CLOUD_ACCOUNT_ID and the job id"),
    (404, "/api/v2/accounts/1/runs/3/artifacts/run_results.json", "the run has no such artifact"),
    (400, "/api/v2/accounts/1/jobs/2/run/", "steps_override must be dbt commands"),
    (418, "/api/v2/accounts/1/jobs/2/", "see dbt Cloud's message"),
])
def test_a_refusal_names_dbt_clouds_message_the_request_and_the_fix(status, path, fix):
    body = {"status": {"code": status, "user_message": "Nope."}, "data": None}
    with pytest.raises(DbtCloudRequestRefusedError) as refused:
        ResilientDbtCloudHook().check_response(response(status, body, path=path))
    message = str(refused.value)
    assert message.startswith(f"{status}:") and "dbt Cloud says 'Nope.'" in message
    assert f"(GET {path})" in message and fix in message


def test_a_refusal_without_dbt_clouds_envelope_quotes_the_body():
    answer = response(404)
    answer._content = b"<html>not found</html>"
    with pytest.raises(DbtCloudRequestRefusedError, match="dbt Cloud says '<html>not found</html>'"):
        ResilientDbtCloudHook().check_response(answer)


# Timeouts (row G2) and triggers sent once (row G4)

def test_the_providers_sync_requests_get_no_timeout(sent):
    from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook

    DbtCloudHook(timeout_seconds=5).get_job(job_id=2, account_id=1)

    [(_, _, options)] = sent.requests
    assert options.get("timeout") is None  # provider 4.11.1; 4.11.2 passes timeout_seconds (row G2)


def test_every_sync_request_has_a_timeout(sent):
    ResilientDbtCloudHook().get_job(job_id=2, account_id=1)
    ResilientDbtCloudHook(timeout_seconds=5).get_job(job_id=2, account_id=1)

    assert [options["timeout"] for _, _, options in sent.requests] == [(10, 60), 5]


def test_a_run_trigger_is_sent_once(sent):
    sent.answers = [requests.ConnectionError("dropped")] * 3
    hook = ResilientDbtCloudHook(retry_limit=3, retry_delay=0.01)

    with pytest.raises(DbtCloudUnreachableError):
        hook.trigger_job_run(job_id=2, cause="test", account_id=1)
    assert [method for method, _, _ in sent.requests] == ["POST"]
    assert hook.retry_args["stop"].max_attempt_number == 3  # the policy is back for the next call


def test_other_calls_are_retried_up_to_retry_limit(sent):
    sent.answers = [requests.ConnectionError("dropped")] * 3
    with pytest.raises(DbtCloudUnreachableError):
        ResilientDbtCloudHook(retry_limit=3, retry_delay=0.01).get_job(job_id=2, account_id=1)
    assert len(sent.requests) == 3


def test_no_answer_names_the_host_and_the_fix_but_never_the_token(sent):
    sent.answers = [requests.ConnectionError("refused")]
    with pytest.raises(DbtCloudUnreachableError) as unreachable:
        ResilientDbtCloudHook(retry_limit=1).get_job(job_id=2, account_id=1)
    message = str(unreachable.value)
    assert f"No answer from dbt Cloud at https://{HOST}/ (ConnectionError)" in message
    assert "AIRFLOW_CONN_DBT_CLOUD_DEFAULT" in message and "secret-token" not in message
