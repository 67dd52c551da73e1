"""The provider's DbtCloudRunJobTrigger on a shared status board, rows T1-T3 of docs/provider-gaps.md
(apache-airflow-providers-dbt-cloud 4.11.1; no provider version fixes them yet): its event is the run's true
end, not an error on the first failed poll (T1); on_kill cancels the run (T2; plugins/dbt_cloud_stopped_
deferrals.py covers a trigger not started yet); the waits of a triggerer share one board (T3).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus
from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger
from airflow.triggers.base import TriggerEvent

from ._status_board import StatusUnreadableError, status_board
from .hook import ResilientDbtCloudHook


class ResilientDbtCloudRunJobTrigger(DbtCloudRunJobTrigger):
    """Waits for a dbt Cloud run on the triggerer's status board (which ignores `poll_interval`); its event is the
    run's true end. :param cancel_on_kill: cancel the run when the task is stopped (mark failed, clear)."""

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

    async def run(self) -> AsyncIterator[TriggerEvent]:
        deadline, extra = min(self.end_time, self.execution_deadline or self.end_time), {}
        try:
            run = await asyncio.wait_for(status_board(self.conn_id, self.account_id).wait(self.run_id),
                                         max(0.0, deadline - time.time()))
            status, outcome = {DbtCloudJobRunStatus.SUCCESS.value: ("success", "has completed successfully"),
                               DbtCloudJobRunStatus.CANCELLED.value: ("cancelled", "has been cancelled")}.get(
                run["status"], ("error", "has failed"))
        except TimeoutError:
            if self.execution_deadline is not None and self.execution_deadline <= self.end_time:
                status, outcome = "timeout", "has timed out"
            else:  # the wait's `timeout`: the operator fails without retries if the run still goes on (row O4)
                status, outcome, extra = "error", "has not reached a terminal status within the configured timeout", \
                    {"wait_timed_out": True}
        except StatusUnreadableError as error:
            self.log.error("Cannot read the status of dbt Cloud run %s: %s", self.run_id, error)
            status, outcome = "error", f"has an unreadable status ({error})"
        yield TriggerEvent({"status": status, "message": f"Job run {self.run_id} {outcome}.", "run_id": self.run_id, **extra})

    async def on_kill(self) -> None:
        """The task was marked failed or cleared: cancel its run, through the retrying sync hook, off the loop."""
        if self.cancel_on_kill:
            hook = ResilientDbtCloudHook(self.conn_id, **self.hook_params)
            try:
                await asyncio.to_thread(hook.cancel_job_run, run_id=self.run_id, account_id=self.account_id)
                self.log.info("Cancelled dbt Cloud run %s because its task was stopped", self.run_id)
            except Exception as error:  # noqa: BLE001 - the kill goes on; the run's page says whether it ended
                self.log.warning("Could not cancel dbt Cloud run %s: %s", self.run_id, error)
