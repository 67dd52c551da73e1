"""The synthetic benchmark job's wait: it lasts synthetic_seconds, unless a release ends it sooner.

A benchmark does not know in advance how long its ramp of runs will take, so it sets a long wait
and releases every waiting run at once when it has measured what it needs, choosing which of them
end in error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

FAILED_ON_RELEASE = "Synthetic run ended in error on request (POST /_emulator/synthetic/release)."


class _Release:
    """One release: the event the runs waiting for it wait on, and which of them it fails."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.failing: frozenset[int] = frozenset()


class SyntheticGate:
    def __init__(self) -> None:
        self._next = _Release()
        self._waiting: set[int] = set()

    async def wait(self, run_id: int, seconds: float) -> str | None:
        """Wait out the synthetic step; the failure message if a release asked this run to fail, else None."""
        release = self._next  # a release swaps in a fresh one, so later runs wait their full time
        self._waiting.add(run_id)
        try:
            await asyncio.wait_for(release.event.wait(), timeout=seconds)
        except TimeoutError:
            return None
        finally:
            self._waiting.discard(run_id)
        return FAILED_ON_RELEASE if run_id in release.failing else None

    def release(self, fail_run_ids: Iterable[int] = ()) -> dict[str, int]:
        """End every synthetic wait now: the runs in `fail_run_ids` end in error, the others succeed."""
        release, self._next = self._next, _Release()
        waiting = set(self._waiting)
        release.failing = frozenset(fail_run_ids) & waiting
        release.event.set()
        return {"released": len(waiting), "failing": len(release.failing)}
