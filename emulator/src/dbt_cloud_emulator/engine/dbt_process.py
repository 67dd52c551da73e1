"""One dbt command as a subprocess in its own process group, so cancelling the run can stop all of it."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

TERMINATE_GRACE_SECONDS = 5.0


async def run_dbt(argv: list[str], *, cwd: Path, env: dict[str, str], log_path: Path) -> int:
    """Run to completion with stdout+stderr appended to log_path; on cancellation kill the group and re-raise."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True
        )
        try:
            return await process.wait()
        except asyncio.CancelledError:
            await _stop_group(process)
            raise


async def _stop_group(process: asyncio.subprocess.Process) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), TERMINATE_GRACE_SECONDS)
            return
        except asyncio.TimeoutError:
            continue
