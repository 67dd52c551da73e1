"""State survives a restart; runs a dead process left in progress are marked errored, queued ones wait again."""

import asyncio
import signal

import pytest

from conftest import ACCOUNT, make_settings
from dbt_cloud_emulator.app import EmulatorApp
from dbt_cloud_emulator.engine.engine import RESTART_MESSAGE
from dbt_cloud_emulator.store.records import PlannedStep

V2 = f"/api/v2/accounts/{ACCOUNT}"


def test_engine_start_marks_interrupted_runs_and_requeues_queued_ones(tmp_path):
    settings = make_settings(tmp_path, synthetic_seconds=300.0)
    app = EmulatorApp(settings)
    store = app.state.store
    plan = [PlannedStep("Wait", "wait")]

    def create(status):
        run = store.create_run(account_id=ACCOUNT, project_id=70001, environment_id=80001, job_id=999,
                               dbt_version="1.11", git_branch="main", git_sha=None, trigger={"cause": "t"}, plan=plan)
        store.update_run(run.id, status=status)
        if status != 1:
            store.add_step(run, 1, "Wait", 3)
        return run.id

    running, starting, queued, done = create(3), create(2), create(1), create(10)

    async def start_engine():
        engine = app.state.engine
        engine.start()
        await asyncio.sleep(0.2)
        await engine.stop()

    asyncio.run(start_engine())
    for run_id in (running, starting):
        run = store.get_run(run_id)
        assert (run.status, run.status_message) == (20, RESTART_MESSAGE) and run.finished_at
        assert store.steps_of([run_id])[run_id][0].status == 20
    # The queued run was submitted again and started (then the engine's stop interrupted it too).
    assert store.get_run(queued).dequeued_at is not None
    assert store.steps_of([queued])[queued][0].name == "Wait"
    assert store.get_run(done).status == 10


@pytest.mark.parametrize("served", [{"DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS": "120"}], indirect=True)
def test_sigkill_and_restart_keeps_runs_and_fails_the_interrupted_one(served):
    with served.client() as http:
        run = http.post(f"{V2}/jobs/999/run/", json={"cause": "before crash"}).json()["data"]
        for _ in range(50):
            if http.get(f"{V2}/runs/{run['id']}/").json()["data"]["status"] == 3:
                break
    served.stop(signal.SIGKILL)
    served.start()
    with served.client() as http:
        after = http.get(f"{V2}/runs/{run['id']}/", params={"include_related": "run_steps,trigger"}).json()["data"]
        assert (after["status"], after["status_message"]) == (20, RESTART_MESSAGE)
        assert after["trigger"]["cause"] == "before crash" and after["run_steps"][0]["status"] == 20
        assert "Synthetic job: waiting" in after["run_steps"][0]["logs"]
        assert http.post(f"{V2}/jobs/999/run/", json={"cause": "after"}).json()["data"]["id"] == run["id"] + 1
