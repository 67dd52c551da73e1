"""dbt Cloud's per-account rate limit, against the emulator: the triggerer's shared status board reads
up to 100 waits' runs a request, each run when due (sparsely far from its job's usual length, often near
it), and ends each wait in its run's true state; a lock-out (429 to the whole account) delays deferrable
and sync waits, and run triggers, without failing one."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest

from include.dbt_cloud.hook import ResilientDbtCloudHook
from include.dbt_cloud.trigger import ResilientDbtCloudRunJobTrigger
from tests.polling import SUCCESS, wait_until

pytestmark = pytest.mark.e2e
SYNTHETIC_JOB = 999
RUNS_LIST = "GET /api/v2/accounts/{account_id}/runs/"
ONE_RUN = "GET /api/v2/accounts/{account_id}/runs/{run_id}/"


def _trigger(run_id: int, seconds: float = 120, interval: float = 1.0) -> ResilientDbtCloudRunJobTrigger:
    return ResilientDbtCloudRunJobTrigger(conn_id="dbt_cloud_default", run_id=run_id, end_time=time.time() + seconds,
                                          poll_interval=interval, account_id=None)


async def _events(run_ids: list[int], **kwargs) -> dict[int, tuple[dict, float]]:
    """Each run's first event and when it came, from waits sharing one event loop (as in a triggerer)."""
    async def first(run_id: int) -> tuple[int, tuple[dict, float]]:
        event = await anext(_trigger(run_id, **kwargs).run())
        return run_id, (event.payload, time.time())
    return dict(await asyncio.gather(*(first(run_id) for run_id in run_ids)))


def _requests(emulator) -> dict[str, int]:
    by_route = emulator.control.stats()["by_route"]
    return {route: sum(by_route.get(route, {}).values()) for route in (RUNS_LIST, ONE_RUN)}


def test_250_waits_read_their_runs_a_page_of_100_at_a_time_and_end_as_their_runs_ended(emulator):
    run_ids = emulator.control.synthetic_runs(SYNTHETIC_JOB, 250, [2, 6], fail=10)
    before = _requests(emulator)
    started = time.monotonic()
    events = asyncio.run(_events(run_ids))
    elapsed = time.monotonic() - started
    after = _requests(emulator)

    ended = {run_id: emulator.api("GET", f"runs/{run_id}/")["data"]["status"] for run_id in run_ids}
    expected = {10: "success", 20: "error"}
    assert {run_id: payload["status"] for run_id, (payload, _) in events.items()} == \
        {run_id: expected[status] for run_id, status in ended.items()}
    gaps = elapsed / 0.5 + 1  # no run is due sooner than 0.5 s after its last read
    list_reads = after[RUNS_LIST] - before[RUNS_LIST]
    assert after[ONE_RUN] == before[ONE_RUN], "a wait read its run on its own"
    assert list_reads <= 4 * gaps, f"{list_reads} runs-list reads in {elapsed:.1f} s for 250 waits (3-4 pages a gap)"
    assert list_reads < 250, "the waits did not share their reads"


def test_a_lone_run_is_read_sparsely_far_from_its_likely_end_and_often_near_it(emulator):
    history = emulator.control.synthetic_runs(SYNTHETIC_JOB, 10, 25)  # the board learns the job's last 10 successes
    wait_until("the job's 10 runs of 25 s", lambda: all(
        emulator.api("GET", f"runs/{run_id}/")["data"]["status"] == SUCCESS for run_id in history), timeout=90)
    run_id = emulator.control.synthetic_runs(SYNTHETIC_JOB, 1, 25)[0]
    before = _requests(emulator)
    payload, seen = asyncio.run(_events([run_id]))[run_id]
    reads = _requests(emulator)[RUNS_LIST] - before[RUNS_LIST]

    finished = datetime.fromisoformat(emulator.api("GET", f"runs/{run_id}/")["data"]["finished_at"]).timestamp()
    assert payload["status"] == "success"
    # Reads at about 0, 2, 13, 19, 22, 23.6, 24.3, 24.8, 25.3 s, and the job's history once; a read every 2 s
    # would take 13 and see the end up to 2 s late, one every second 26.
    assert seen - finished <= 1.0, f"the run's end was seen {seen - finished:.1f} s late"
    assert reads <= 11, f"{reads} runs-list reads for one run of 25 s"
    print(f"one run of 25 s: {reads} runs-list reads, its end seen {seen - finished:.2f} s late")


def test_a_lockout_of_the_account_delays_the_waits_without_failing_one(emulator):
    run_ids = emulator.control.synthetic_runs(SYNTHETIC_JOB, 20, 2)
    emulator.control.lock_out(emulator.account_id, 12)
    lock_lifts = time.time() + 12
    events = asyncio.run(_events(run_ids))

    assert {payload["status"] for payload, _ in events.values()} == {"success"}
    assert emulator.control.rate_limit()["accounts"][str(emulator.account_id)]["answered_429"] > 0
    late = max(at for _, at in events.values()) - lock_lifts
    # Runs ended during the lock-out; the board probes with one request every ~5 s until it is admitted.
    assert 0 <= late <= 8, f"the waits ended {late:.1f} s after the lock-out lifted"


def test_a_wait_that_outlives_its_timeout_says_so_and_the_run_goes_on(emulator):
    run_id = emulator.control.synthetic_runs(SYNTHETIC_JOB, 1, 120)[0]
    payload, _ = asyncio.run(_events([run_id], seconds=2))[run_id]
    assert payload["status"] == "error" and payload.get("wait_timed_out") is True
    assert emulator.api("GET", f"runs/{run_id}/")["data"]["status"] == 3  # still running
    emulator.api("POST", f"runs/{run_id}/cancel/")


def test_sync_calls_and_run_triggers_wait_out_a_lockout_and_trigger_one_run(emulator):
    hook = ResilientDbtCloudHook("dbt_cloud_default", retry_limit=2)  # 2 tries: a 429 must not count as one
    runs_before = emulator.api("GET", f"runs/?job_definition_id={SYNTHETIC_JOB}&limit=1")["extra"]["pagination"]["total_count"]
    emulator.control.lock_out(emulator.account_id, 15)
    started = time.monotonic()
    run = hook.trigger_job_run(job_id=SYNTHETIC_JOB, cause="rate limited trigger").json()["data"]
    waited = time.monotonic() - started
    assert 13 <= waited <= 30, f"the trigger came through {waited:.1f} s after a 15 s lock-out began"
    emulator.control.lock_out(emulator.account_id, 15)
    assert hook.get_job_run(run["id"]).json()["data"]["id"] == run["id"]
    runs_after = emulator.api("GET", f"runs/?job_definition_id={SYNTHETIC_JOB}&limit=1")["extra"]["pagination"]["total_count"]
    assert runs_after == runs_before + 1, "a refused trigger created a run, or the trigger was sent twice"
    emulator.api("POST", f"runs/{run['id']}/cancel/")
