"""The provider's DbtCloudRunJobTrigger, made to report a run's true end (and to cancel it when told to).

Two gaps of the provider's trigger (apache-airflow-providers-dbt-cloud 4.11.1), found by
tests/reliability:
- Any exception while polling (a dropped connection, a 5xx after its retries) ends the wait
  with an "error" event, which fails the task although the dbt Cloud run may still be going
  or have succeeded. Here an error event is checked against the run's status: the wait goes
  on unless the run really failed (or the wait's own time is up).
- When a deferred task is marked failed or cleared, Airflow calls the trigger's on_kill(),
  which the provider does not implement, so the run kept going. Here it cancels the run.
  (If the triggerer had not started the trigger yet, plugins/dbt_cloud_stopped_deferrals.py
  calls on_kill instead.)
Rows T1 and T2 of docs/provider-gaps.md; no provider version fixes either yet. The wait's retries
follow the same `hook_params` policy as the sync calls (include/dbt_cloud/hook.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus
from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger
from airflow.triggers.base import TriggerEvent

from .hook import ResilientDbtCloudHook, untrusted_certificate_message

# Consecutive failed status checks (each already retried by the hook) before the error stands.
STATUS_CHECKS = 5
CANCEL_ATTEMPTS = 3


class VerifiedDbtCloudRunTrigger(DbtCloudRunJobTrigger):
    """Waits for a dbt Cloud run like the provider's trigger, but ends in error only if the run failed."""

    @classmethod
    def from_trigger(cls, trigger: DbtCloudRunJobTrigger) -> VerifiedDbtCloudRunTrigger:
        return cls(**trigger.serialize()[1])

    @classmethod
    def classpath(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    def serialize(self) -> tuple[str, dict]:
        return self.classpath(), super().serialize()[1]

    def _hook(self) -> ResilientDbtCloudHook:
        # The provider's trigger polls through its own DbtCloudHook; this one applies RETRY_POLICY by default.
        return ResilientDbtCloudHook(self.conn_id, **self.hook_params)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # Gap T1 (no fix upstream): the provider's run() turns any polling exception into an "error" event.
        failed_checks = 0
        while True:
            event = await anext(DbtCloudRunJobTrigger.run(self))
            if event.payload["status"] == "error" and time.time() >= self.end_time:
                # The wait's `timeout` is up: the operator fails without retries if the run still goes on (row O4).
                yield TriggerEvent({**event.payload, "wait_timed_out": True})
                return
            if event.payload["status"] != "error":
                yield event
                return
            try:
                status = await self._hook().get_job_status(self.run_id, self.account_id)
            except aiohttp.ClientConnectorCertificateError as error:
                # No later check can pass: the triggerer read its trust (SSL_CERT_FILE) when it started.
                self.log.error("Cannot read the status of dbt Cloud run %s. %s", self.run_id,
                               untrusted_certificate_message(f"{error.host}:{error.port}", error.certificate_error))
                yield event
                return
            except Exception as error:
                failed_checks += 1
                self.log.warning("Cannot read the status of dbt Cloud run %s (%s)", self.run_id, error)
                if failed_checks >= STATUS_CHECKS:
                    yield event
                    return
            else:
                if status == DbtCloudJobRunStatus.ERROR.value:
                    yield event
                    return
                failed_checks = 0
                self.log.info("dbt Cloud run %s is still %s: waiting on", self.run_id, DbtCloudJobRunStatus(status).name)
            await asyncio.sleep(self.poll_interval)


class CancellingDbtCloudRunJobTrigger(VerifiedDbtCloudRunTrigger):
    """For the task that started the run: stopping the task (mark failed, clear) cancels the run.

    A sensor only watches a run another task started, so its trigger does not cancel.
    """

    async def on_kill(self) -> None:
        """The task was marked failed or cleared: cancel its run (POST runs/<id>/cancel/)."""
        # Gap T2 (no fix upstream): the provider's trigger has no on_kill (Airflow 3.3 calls it, #65590).
        hook = self._hook()
        headers, tenant = await hook.get_headers_tenants_from_connection()
        account_id = self.account_id or int((await hook._resolve_connection_async()).login)
        url, _ = hook.get_request_url_params(tenant, f"{account_id}/runs/{self.run_id}/cancel/")
        async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as session:
            for attempt in range(1, CANCEL_ATTEMPTS + 1):
                try:
                    async with session.post(url) as response:
                        response.raise_for_status()
                    self.log.info("Cancelled dbt Cloud run %s because its task was stopped", self.run_id)
                    return
                except (aiohttp.ClientError, TimeoutError) as error:
                    self.log.warning("Cancelling dbt Cloud run %s failed (attempt %s): %s", self.run_id, attempt, error)
                    await asyncio.sleep(attempt)
