"""The provider's DbtCloudRunJobTrigger on a shared status board: one poll per account, true end states.

Gaps of the provider's trigger (apache-airflow-providers-dbt-cloud 4.11.1; none fixed upstream yet), rows
T1-T3 of docs/provider-gaps.md: T1, any error while polling (a dropped connection, a 5xx, a 429) fails
the task while its run may still go on: here the event is the run's own end state; T2, no on_kill, so
a stopped task left its run going: here it is cancelled (plugins/dbt_cloud_stopped_deferrals.py covers
a trigger not started yet); T3, one GET per run per interval locks the account out at a few hundred
runs: here the waits of a triggerer share one board (_status_board.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus
from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger
from airflow.triggers.base import TriggerEvent

from ._status_board import StatusUnreadableError, status_board
from .hook import ResilientDbtCloudHook

_CANCEL_ATTEMPTS = 3


class ResilientDbtCloudRunJobTrigger(DbtCloudRunJobTrigger):
    """Waits for a dbt Cloud run on the triggerer's status board; its event is the run's true end.

    :param cancel_on_kill: cancel the run when the task is stopped (mark failed, clear): for the task that
        started the run, not a sensor. Else the provider's parameters; the board ignores `poll_interval`.
    """

    def __init__(self, *args: Any, cancel_on_kill: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cancel_on_kill = cancel_on_kill

    @classmethod
    def from_trigger(cls, trigger: DbtCloudRunJobTrigger, *, cancel_on_kill: bool) -> ResilientDbtCloudRunJobTrigger:
        return cls(**trigger.serialize()[1], cancel_on_kill=cancel_on_kill)

    @classmethod
    def classpath(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return self.classpath(), {**super().serialize()[1], "cancel_on_kill": self.cancel_on_kill}

    def _event(self, status: str, message: str, **extra: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "message": message, "run_id": self.run_id, **extra})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline = min(self.end_time, self.execution_deadline or self.end_time)
        board = status_board(self.conn_id, self.account_id)
        try:
            run = await asyncio.wait_for(board.wait(self.run_id), max(0.0, deadline - time.time()))
        except TimeoutError:
            if self.execution_deadline is not None and self.execution_deadline <= self.end_time:
                yield self._event("timeout", f"Job run {self.run_id} has timed out.")
            else:  # the wait's `timeout`: the operator fails without retries if the run still goes on (row O4)
                yield self._event("error", f"Job run {self.run_id} has not reached a terminal status within the "
                                  "configured timeout.", wait_timed_out=True)
            return
        except StatusUnreadableError as error:
            self.log.error("Cannot read the status of dbt Cloud run %s: %s", self.run_id, error)
            yield self._event("error", f"Job run {self.run_id}: cannot read its status ({error}).")
            return
        if run["status"] == DbtCloudJobRunStatus.SUCCESS.value:
            yield self._event("success", f"Job run {self.run_id} has completed successfully.")
        elif run["status"] == DbtCloudJobRunStatus.CANCELLED.value:
            yield self._event("cancelled", f"Job run {self.run_id} has been cancelled.")
        else:
            yield self._event("error", f"Job run {self.run_id} has failed.")

    async def on_kill(self) -> None:
        """The task was marked failed or cleared: cancel its run (POST runs/<id>/cancel/)."""
        if not self.cancel_on_kill:
            return
        hook = ResilientDbtCloudHook(self.conn_id, **self.hook_params)
        headers, tenant = await hook.get_headers_tenants_from_connection()
        account_id = self.account_id or int((await hook._resolve_connection_async()).login)
        url, _ = hook.get_request_url_params(tenant, f"{account_id}/runs/{self.run_id}/cancel/")
        async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as session:
            for attempt in range(1, _CANCEL_ATTEMPTS + 1):
                try:
                    async with session.post(url) as response:
                        response.raise_for_status()
                    self.log.info("Cancelled dbt Cloud run %s because its task was stopped", self.run_id)
                    return
                except (aiohttp.ClientError, TimeoutError) as error:
                    self.log.warning("Cancelling dbt Cloud run %s failed (attempt %s): %s", self.run_id, attempt, error)
                    await asyncio.sleep(attempt)
