"""The provider's async path (aiohttp, SSL_CERT_FILE): DbtCloudRunJobTrigger and get_job_details."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulator.provider_helpers import hook, reset_job

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def _probe(run_id: int, seconds: float) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.emulator.trigger_probe", str(run_id), str(seconds)],
        cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_trigger_polls_until_success_and_reads_details(emulator):
    run_id = hook().trigger_job_run(
        job_id=222, cause="async success", steps_override=["dbt build --select tag:hourly"]
    ).json()["data"]["id"]
    result = _probe(run_id, 600)  # polls while queued/starting/running, over aiohttp and TLS
    assert result["event"] == {"status": "success", "message": f"Job run {run_id} has completed successfully.",
                               "run_id": run_id}
    assert result["details"]["status"] == 10
    assert result["details"]["run_steps"][-1]["name"] == "Invoke dbt with `dbt build --select tag:hourly`"


def test_trigger_times_out_then_sees_the_cancel(emulator):
    dbt = hook()
    run_id = dbt.trigger_job_run(job_id=999, cause="async timeout").json()["data"]["id"]
    timed_out = _probe(run_id, 2)["event"]
    assert timed_out["status"] == "error" and "within the configured timeout" in timed_out["message"]
    dbt.cancel_job_run(run_id)
    assert _probe(run_id, 60)["event"]["status"] == "cancelled"


def test_trigger_reports_a_failed_run(emulator):
    reset_job(emulator, 333)
    run_id = hook().trigger_job_run(job_id=333, cause="async failure").json()["data"]["id"]
    result = _probe(run_id, 600)
    assert result["event"]["status"] == "error"
    assert result["details"]["run_steps"][-1]["status"] == 20
