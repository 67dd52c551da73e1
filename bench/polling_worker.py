"""One polling measurement process: the waits of many runs in one asyncio loop, as a triggerer runs them.

    python -m bench.polling_worker '{"kind": "template", "interval": 2, "seconds": 90}'

It imports the trigger class, prints READY, then reads the run ids (a JSON list, one line) from stdin,
so that the runs are created only once it can wait on them: their detection delay is the trigger's,
not this process's start-up.

kind "provider" runs the provider's DbtCloudRunJobTrigger, "template" ResilientDbtCloudRunJobTrigger.
The caller sets the emulator's connection and trust bundle (SSL_CERT_FILE: aiohttp reads it on import).
Prints one line `BENCH_RESULT {"events": {run_id: [status, epoch seconds]}, "rss_mb": ...}`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import psutil


async def _first_events(trigger_class: type, run_ids: list[int], interval: float, seconds: float) -> dict:
    end_time = time.time() + seconds
    events: dict[int, list] = {}

    async def wait(run_id: int) -> None:
        trigger = trigger_class(conn_id="dbt_cloud_default", run_id=run_id, end_time=end_time, poll_interval=interval,
                                account_id=None)
        event = await anext(trigger.run())
        events[run_id] = [event.payload["status"], time.time()]

    peak = 0.0

    async def sample_rss() -> None:
        nonlocal peak
        while True:
            peak = max(peak, psutil.Process().memory_info().rss / 2**20)
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample_rss())
    await asyncio.gather(*(wait(run_id) for run_id in run_ids))
    sampler.cancel()
    return {"events": events, "rss_mb": round(peak, 1)}


def main(spec: dict) -> dict:
    if spec["kind"] == "provider":
        from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger as trigger_class
    else:
        from include.dbt_cloud.trigger import ResilientDbtCloudRunJobTrigger as trigger_class
    print("READY", flush=True)
    run_ids = json.loads(sys.stdin.readline())
    return asyncio.run(_first_events(trigger_class, run_ids, spec["interval"], spec["seconds"]))


if __name__ == "__main__":
    print("BENCH_RESULT " + json.dumps(main(json.loads(sys.argv[1]))), flush=True)
