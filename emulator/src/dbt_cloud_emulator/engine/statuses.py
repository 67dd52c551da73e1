"""dbt Cloud's run (and run step) status codes."""

from __future__ import annotations

import enum


class RunStatus(enum.IntEnum):
    QUEUED = 1
    STARTING = 2
    RUNNING = 3
    SUCCESS = 10
    ERROR = 20
    CANCELLED = 30

    @property
    def humanized(self) -> str:
        return self.name.capitalize()

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


IN_PROGRESS = (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING)
TERMINAL = (RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.CANCELLED)
