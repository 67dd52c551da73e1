"""Runs the provider's async path in a fresh process, as Airflow's triggerer does.

aiohttp builds its default TLS context when it is imported, from SSL_CERT_FILE at that moment; the
test session imports it before the emulator fixture sets SSL_CERT_FILE, so the async path is probed
in a child process that starts with the variable set (exactly like the triggerer).

Usage: python -m tests.emulator.trigger_probe RUN_ID SECONDS_UNTIL_END_TIME
Prints one JSON object: {"event": <first trigger event>, "details": <get_job_details data>}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook
from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger


async def probe(run_id: int, seconds: float) -> dict:
    trigger = DbtCloudRunJobTrigger(
        conn_id="dbt_cloud_default", run_id=run_id, end_time=time.time() + seconds, poll_interval=0.5, account_id=None
    )
    event = None
    async for fired in trigger.run():
        event = fired.payload
        break
    details = await DbtCloudHook("dbt_cloud_default").get_job_details(run_id, include_related=["run_steps"])
    return {"event": event, "details": details["data"]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(int(sys.argv[1]), float(sys.argv[2])))))
