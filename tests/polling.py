"""Waiting in tests: one poll loop, and dbt Cloud run statuses by the provider's names."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus

T = TypeVar("T")

SUCCESS = DbtCloudJobRunStatus.SUCCESS.value
ERROR = DbtCloudJobRunStatus.ERROR.value
CANCELLED = DbtCloudJobRunStatus.CANCELLED.value
RUNNING = DbtCloudJobRunStatus.RUNNING.value
FINISHED = frozenset(DbtCloudJobRunStatus.TERMINAL_STATUSES.value)
IN_PROGRESS = frozenset(DbtCloudJobRunStatus.NON_TERMINAL_STATUSES.value)


def wait_until(what: str, check: Callable[[], T], timeout: float = 180.0, every: float = 1.0) -> T:
    """The first truthy value of check(), asked every `every` s; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        if value := check():
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def wait_for_run_status(read_run: Callable[[], dict[str, Any]], statuses=FINISHED, timeout: float = 300.0,
                        every: float = 1.0) -> dict[str, Any]:
    """The run read_run() returns, once its status is one of `statuses` (by default: finished)."""
    names = "/".join(sorted(DbtCloudJobRunStatus(status).name for status in statuses))
    return wait_until(f"a dbt Cloud run to be {names}",
                      lambda: (run := read_run())["status"] in statuses and run, timeout, every)
