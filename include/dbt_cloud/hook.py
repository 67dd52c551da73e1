"""A DbtCloudHook whose sync calls ride out a flaky dbt Cloud API: retries of 429 (whatever it lasts: a
refused request, not a lost one), 5xx, drops and timeouts; a timeout on every request; a 4xx or an
untrusted certificate fails at once, naming the fix. A run trigger whose answer was lost is not retried
(the operator looks for its run first). `hook_params` (`retry_limit`, `retry_delay`) set the policy.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import requests
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from requests import Response
from tenacity import RetryCallState, stop_after_attempt, wait_exponential

# 8 attempts with waits of 1, 2, 4, 8, 10, 10, 10 s (about 45 s of trouble absorbed per call).
RETRY_POLICY = {"retry_limit": 8, "retry_delay": 1.0}
_MAX_WAIT_SECONDS = 10.0
_REQUEST_TIMEOUT = (10, 60)  # (connect, read) s; a dbt Cloud API call normally answers in well under 1 s
_TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
_TRIGGER_SUFFIXES = ("/run/", "/rerun/")


class TransientDbtCloudError(AirflowException):
    """dbt Cloud answered 429 or a 5xx: worth asking again. The message is the provider's `<code>:<reason>`."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"{response.status_code}:{response.reason}")
        self.response = response


class DbtCloudRequestRefusedError(AirflowFailException):
    """dbt Cloud refused the request (4xx): the task fails without retries; the message names the fix."""


class DbtCloudUnreachableError(AirflowException):
    """No answer from dbt Cloud (connection refused or dropped, timeout), even after retries."""


class DbtCloudCertificateUntrustedError(AirflowFailException):
    """dbt Cloud's TLS certificate did not verify: no request was sent, and retrying cannot help."""


def _certificate_verification_error(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The ssl verification error behind a requests error (wrapped in urllib3's MaxRetryError), if any."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        pending.extend(item for item in linked if isinstance(item, BaseException))
    return None


def untrusted_certificate_message(host: str, error: Exception) -> str:
    detail = getattr(error, "verify_message", None) or error
    return (f"Could not verify the TLS certificate of dbt Cloud at https://{host}/ ({detail}): this Airflow process "
            "does not trust it, so no request was sent. Point REQUESTS_CA_BUNDLE (the sync hook) and SSL_CERT_FILE (the "
            "triggerer) at a CA bundle that trusts it. Real dbt Cloud needs only the public CAs, so there it is usually "
            "a proxy that inspects TLS: add its CA (the docs' \"Troubleshooting\").")


def _fix_for(status: int, conn_id: str, path: str) -> str:
    if status == 404 and "/artifacts/" in path:
        return "the run has no such artifact (a step that failed before dbt wrote it has none); list them with the artifacts endpoint."
    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    fixes = {
        400: "dbt Cloud rejected the request's content: fix the operator argument the message names "
             "(e.g. steps_override must be dbt commands).",
        401: f"the API token was refused: set the password of connection {conn_id!r} ({variable} in .env) "
             "to a valid dbt Cloud service token or personal access token.",
        403: f"the token has no access to this account: set DBT_CLOUD_ACCOUNT_ID (and the login of {variable}) "
             "to the account the token belongs to, or use a token of that account.",
        404: "no such dbt Cloud object in this account: check DBT_CLOUD_ACCOUNT_ID and the job id "
             "(DBT_CLOUD_JOB_ID and the other DBT_CLOUD_*_JOB_ID variables in .env).",
    }
    return fixes.get(status, "see dbt Cloud's message.")


def _dbt_cloud_message(response: Response) -> str:
    try:
        return str(response.json()["status"]["user_message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:300]


def retry_after_seconds(error: BaseException | None) -> float | None:
    """The Retry-After of a 429/503 answer (requests or aiohttp error), in seconds, if it gave one."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or getattr(error, "headers", None) or {}
    value = (headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def _backoff(retry_delay: float) -> Callable[[RetryCallState], float]:
    """Tenacity wait: the answer's Retry-After (at most _MAX_WAIT_SECONDS), else exponential from retry_delay."""
    ceiling = max(_MAX_WAIT_SECONDS, retry_delay)
    exponential = wait_exponential(multiplier=retry_delay, min=retry_delay, max=ceiling)

    def wait(retry_state: RetryCallState) -> float:
        retry_after = retry_after_seconds(retry_state.outcome.exception() if retry_state.outcome else None)
        return min(retry_after, ceiling) if retry_after is not None else exponential(retry_state)

    return wait


class _stop_after(stop_after_attempt):  # noqa: N801 - a tenacity stop, named like tenacity's own
    """After `max_attempt_number` tries, except that a 429 never ends the retries (gap G7)."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome is not None else None
        rate_limited = isinstance(error, TransientDbtCloudError) and error.response.status_code == 429
        return not rate_limited and super().__call__(retry_state)


class ResilientDbtCloudHook(DbtCloudHook):
    """DbtCloudHook with retries of transient errors on every call but run triggers, and request timeouts."""

    def __init__(self, dbt_cloud_conn_id: str = DbtCloudHook.default_conn_name, timeout_seconds: int | None = None,
                 retry_limit: int = RETRY_POLICY["retry_limit"], retry_delay: float = RETRY_POLICY["retry_delay"],
                 retry_args: dict[Any, Any] | None = None) -> None:
        super().__init__(dbt_cloud_conn_id, timeout_seconds, retry_limit, retry_delay, retry_args)
        if not retry_args:  # gap G3: the provider's back-off ignores Retry-After; no provider version honours it
            self.retry_args = {**self.retry_args, "wait": _backoff(self.retry_delay), "stop": _stop_after(self.retry_limit)}

    @staticmethod
    def _retryable_error(exception: BaseException) -> bool:
        # Gap G1 (no fix upstream): the provider's predicate never sees a sync 429/5xx (see check_response).
        # Gap G6: it retries an untrusted certificate (an SSLError is a ConnectionError), which never heals.
        if _certificate_verification_error(exception) is not None:
            return False
        return isinstance(exception, TransientDbtCloudError) or DbtCloudHook._retryable_error(exception)

    def check_response(self, response: Response) -> None:
        # Gaps G1 and G5 (no fix upstream): the provider wraps every HTTP error in a bare AirflowException.
        if response.status_code in _TRANSIENT_STATUSES:
            self.log.warning("dbt Cloud answered %s %s; asking again", response.status_code, response.reason)
            raise TransientDbtCloudError(response)
        if 400 <= response.status_code < 500:
            path = response.request.path_url.split("?")[0]
            raise DbtCloudRequestRefusedError(
                f"{response.status_code}:{response.reason}: dbt Cloud says {_dbt_cloud_message(response)!r} "
                f"({response.request.method} {path}). To fix: {_fix_for(response.status_code, self.dbt_cloud_conn_id, path)}"
            )
        super().check_response(response)

    def run_with_advanced_retry(self, _retry_args: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        # Gap G6 (no fix upstream): a connection error reaches the task as a bare requests exception.
        try:
            return super().run_with_advanced_retry(_retry_args, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as error:
            host = self._get_tenant_domain(self.connection)
            untrusted = _certificate_verification_error(error)
            if untrusted is not None:
                raise DbtCloudCertificateUntrustedError(untrusted_certificate_message(host, untrusted)) from error
            raise DbtCloudUnreachableError(
                f"No answer from dbt Cloud at https://{host}/ ({type(error).__name__}): check that it is up, the "
                f"host of connection {self.dbt_cloud_conn_id!r} (AIRFLOW_CONN_{self.dbt_cloud_conn_id.upper()} in "
                ".env) and the network (the docs' \"Troubleshooting\")."
            ) from error

    def run_and_check(self, session, prepped_request, extra_options: dict[Any, Any]) -> Any:
        # Gap G2, retired by provider 4.11.2: get_conn drops timeout_seconds (and proxies, which only 4.11.2
        # applies), so requests would wait forever.
        options = dict(extra_options or {})
        if options.get("timeout") is None:
            options["timeout"] = self.timeout_seconds or _REQUEST_TIMEOUT
        return super().run_and_check(session, prepped_request, options)

    def _run_and_get_response(self, *, method: str = "GET", endpoint: str | None = None, **kwargs: Any) -> Any:
        # Gap G4 (no fix upstream): the provider retries a run trigger like any call, which can start two runs.
        if method == "POST" and endpoint and endpoint.endswith(_TRIGGER_SUFFIXES):
            return self._trigger_once(endpoint=endpoint, **kwargs)
        return super()._run_and_get_response(method=method, endpoint=endpoint, **kwargs)

    def _trigger_once(self, **kwargs: Any) -> Any:
        """POST a run trigger once (a retry could create a second run), or again after a 429, which created none."""
        retry_args = self.retry_args
        self.retry_args = {**retry_args, "stop": _stop_after(1)}  # a 429 created no run: ask again
        try:
            return super()._run_and_get_response(method="POST", **kwargs)
        finally:
            self.retry_args = retry_args
