"""The provider's async path (aiohttp, SSL_CERT_FILE): DbtCloudRunJobTrigger and get_job_details."""

from __future__ import annotations

import asyncio
import time

import pytest
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook
from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger

from local_runner import demo_tenant as tenant
from tests.emulator.provider_helpers import hook, reset_job
from tests.polling import ERROR, SUCCESS

pytestmark = pytest.mark.e2e


async def _first_event_and_details(run_id: int, seconds: float) -> dict:
    trigger = DbtCloudRunJobTrigger(
        conn_id="dbt_cloud_default", run_id=run_id, end_time=time.time() + seconds, poll_interval=0.5, account_id=None
    )
    event = None
    async for fired in trigger.run():
        event = fired.payload
        break
    details = await DbtCloudHook("dbt_cloud_default").get_job_details(run_id, include_related=["run_steps"])
    return {"event": event, "details": details["data"]}


def _probe(run_id: int, seconds: float) -> dict:
    """Runs the trigger as the triggerer does: aiohttp over TLS, trusting SSL_CERT_FILE (see conftest)."""
    return asyncio.run(_first_event_and_details(run_id, seconds))


def test_trigger_polls_until_success_and_reads_details(emulator):
    run_id = hook().trigger_job_run(
        job_id=tenant.TAGGED_JOB_ID, cause="async success", steps_override=["dbt build --select tag:hourly"]
    ).json()["data"]["id"]
    result = _probe(run_id, 600)  # polls while queued/starting/running, over aiohttp and TLS
    assert result["event"] == {"status": "success", "message": f"Job run {run_id} has completed successfully.",
                               "run_id": run_id}
    assert result["details"]["status"] == SUCCESS
    assert result["details"]["run_steps"][-1]["name"] == "Invoke dbt with `dbt build --select tag:hourly`"


def test_trigger_times_out_then_sees_the_cancel(emulator):
    dbt = hook()
    run_id = dbt.trigger_job_run(job_id=tenant.SYNTHETIC_JOB_ID, cause="async timeout").json()["data"]["id"]
    timed_out = _probe(run_id, 2)["event"]
    assert timed_out["status"] == "error" and "within the configured timeout" in timed_out["message"]
    dbt.cancel_job_run(run_id)
    assert _probe(run_id, 60)["event"]["status"] == "cancelled"


def test_trigger_reports_a_failed_run(emulator):
    reset_job(emulator, tenant.LATE_DATA_JOB_ID)
    run_id = hook().trigger_job_run(job_id=tenant.LATE_DATA_JOB_ID, cause="async failure").json()["data"]["id"]
    result = _probe(run_id, 600)
    assert result["event"]["status"] == "error"
    assert result["details"]["run_steps"][-1]["status"] == ERROR
