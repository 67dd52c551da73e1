"""The synthetic benchmark job's wait: it lasts synthetic_seconds, unless a release ends it sooner.

A benchmark does not know in advance how long its ramp of runs will take, so it sets a long wait
and releases every waiting run at once when it has measured what it needs, choosing which of them
end in error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

FAILED_ON_RELEASE = "Synthetic run ended in error on request (POST /_emulator/synthetic/release)."


class SyntheticGate:
    def __init__(self) -> None:
        self._released = asyncio.Event()
        self._waiting: set[int] = set()
        self._to_fail: set[int] = set()

    async def wait(self, run_id: int, seconds: float) -> str | None:
        """Wait out the synthetic step; the failure message if a release asked this run to fail, else None."""
        released = self._released  # a release swaps in a fresh event, so later runs wait their full time
        self._waiting.add(run_id)
        try:
            await asyncio.wait_for(released.wait(), timeout=seconds)
        except TimeoutError:
            return None
        finally:
            self._waiting.discard(run_id)
        return FAILED_ON_RELEASE if run_id in self._to_fail else None

    def release(self, fail_run_ids: Iterable[int] = ()) -> dict[str, int]:
        """End every synthetic wait now: the runs in `fail_run_ids` end in error, the others succeed."""
        waiting = set(self._waiting)
        self._to_fail = set(fail_run_ids) & waiting
        self._released.set()
        self._released = asyncio.Event()
        return {"released": len(waiting), "failing": len(self._to_fail)}
