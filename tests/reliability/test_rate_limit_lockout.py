"""dbt Cloud locks the account out (429 to every request) while 50 deferred and 4 sync waits are under
way in a running Airflow (as `make start`): no task fails or retries, none triggers a second run, and
each wait reads its run again within one pause of the lock-out lifting (the status board's probe, the
sync hook's back-off: 10 s at most), then ends in its run's true state.

The example DAGs run the emulator's synthetic job 999, whose runs wait until the test ends them
(during the lock-out): 25 runs of dbt_cloud_deferrable (the deferred operator and the deferrable
sensor: 50 deferred waits) and 4 of dbt_cloud_run_job (sync). The lock-out (60 s) outlasts the retry
policy (8 tries, about 45 s): without the 429 waits the sync tasks fail, and so do the deferred ones.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime

import pytest

from local_runner import demo_tenant as tenant
from tests.docker.airflow_rest import AirflowRest
from tests.polling import SUCCESS, wait_until

pytestmark = pytest.mark.e2e
LOCAL_STACK_SETTINGS = {"parallelism": 8}  # 4 slots held by the sync waits, 4 to start and resume the others
DEFERRABLE_DAG_RUNS, SYNC_DAG_RUNS = 25, 4
LOCKOUT_SECONDS = 60.0
# The longest pause between two reads after a 429 (the board's probe about 5 s, the sync hook's back-off
# at most 10 s), plus 2 s for the read itself on a busy 2-core machine.
PAUSE_AFTER_429 = 10.0 + 2.0
# "2026-12-06 01:50:01,123 INFO dbt_cloud_emulator.requests: GET /api/v2/accounts/12345/runs/ 200 3.1ms"
API_LINE = re.compile(r"^(?P<at>\S+ \S+) INFO dbt_cloud_emulator\.requests: GET (?P<path>/api/\S+) (?P<status>\d+) ")


@pytest.fixture(scope="module")
def synthetic_job_env():
    patch = pytest.MonkeyPatch()
    patch.setenv("DBT_CLOUD_JOB_ID", str(tenant.SYNTHETIC_JOB_ID))
    patch.setenv("DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS", "900")  # ended by the test
    patch.setenv("AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG", "64")  # 25 runs of one DAG at once (default 16)
    yield
    patch.undo()


@pytest.fixture(scope="module")
def stack(synthetic_job_env, local_stack, stack_dbt_cloud):
    from dbt_cloud_emulator.pytest_plugin import EmulatorControl

    from local_runner import airflow
    from local_runner import emulator as emulator_process

    token = airflow.api_session(local_stack).headers["Authorization"].split(" ", 1)[1]
    return (AirflowRest(local_stack.airflow_url, token), stack_dbt_cloud,
            EmulatorControl(local_stack.emulator_url, local_stack.trust_bundle),
            emulator_process.component(local_stack).log_file(local_stack))


def first_reads_after(log_file, since: float) -> dict[str, float]:
    """Per /api/ path read with GET, when it was first answered 200 after `since` (the emulator's request log)."""
    first: dict[str, float] = {}
    for line in log_file.read_text(errors="replace").splitlines():
        match = API_LINE.match(line)
        if match and match["status"] == "200":
            at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()  # logging's local time
            if at >= since:
                first.setdefault(match["path"], at)
    return first


def _busy_database_retried(start: Callable[[], str]) -> str:
    """The local stack's SQLite metadata DB refuses a write now and then under load ("Database error",
    rolled back: no DAG run was made), so a refused trigger is sent again."""
    for _ in range(4):
        try:
            return start()
        except AssertionError as error:
            if "Database error" not in str(error):
                raise
            time.sleep(2)
    return start()


def finished_states(rest: AirflowRest, dag_runs: dict[str, list[str]]) -> dict[tuple[str, str], str] | None:
    """Each DAG run's state, once none is still going."""
    states = {(dag_id, run_id): rest.dag_run(dag_id, run_id)["state"] for dag_id, run_ids in dag_runs.items()
              for run_id in run_ids}
    return states if set(states.values()) <= {"success", "failed"} else None


def waiting(rest: AirflowRest, dag_runs: dict[str, list[str]]) -> bool:
    """Every deferrable DAG run has both its waits deferred, every sync DAG run its task running."""
    expected = {"dbt_cloud_deferrable": {"run_job_deferrable": "deferred", "wait_for_job": "deferred"},
                "dbt_cloud_run_job": {"run_dbt_cloud_job": "running"}}
    for dag_id, run_ids in dag_runs.items():
        for run_id in run_ids:
            states = {ti["task_id"]: ti["state"] for ti in rest.task_instances(dag_id, run_id)}
            if any(states.get(task_id) != state for task_id, state in expected[dag_id].items()):
                return False
    return all(rest.xcom("dbt_cloud_run_job", run_id, "run_dbt_cloud_job", "job_run_id")
               for run_id in dag_runs["dbt_cloud_run_job"])


def test_a_lockout_of_the_account_fails_no_wait_and_starts_no_second_run(stack):
    rest, dbt_cloud, control, emulator_log = stack
    rest.wait_for_dags({"dbt_cloud_deferrable", "dbt_cloud_run_job"})
    runs_before = {run["id"] for run in dbt_cloud.runs(tenant.SYNTHETIC_JOB_ID)}
    counts = {"dbt_cloud_deferrable": DEFERRABLE_DAG_RUNS, "dbt_cloud_run_job": SYNC_DAG_RUNS}
    dag_runs = {dag_id: [_busy_database_retried(lambda: rest.trigger(dag_id))] +
                [_busy_database_retried(lambda: rest.start_run(dag_id)) for _ in range(count - 1)]
                for dag_id, count in counts.items()}
    wait_until("50 deferred and 4 sync waits", lambda: waiting(rest, dag_runs), timeout=420, every=5)

    control.lock_out(tenant.ACCOUNT_ID, LOCKOUT_SECONDS)
    lifts = time.time() + LOCKOUT_SECONDS
    time.sleep(LOCKOUT_SECONDS / 3)
    control.release_synthetic_runs()  # every run ends (success) while no wait can read it
    time.sleep(max(0.0, lifts - time.time()))
    finished = wait_until("every DAG run to finish", lambda: finished_states(rest, dag_runs), timeout=300, every=5)

    assert set(finished.values()) == {"success"}, f"DAG runs not all successful: {finished}"
    tasks = [(dag_id, ti) for (dag_id, run_id) in finished for ti in rest.task_instances(dag_id, run_id)]
    retried = [(dag_id, ti["task_id"], ti["try_number"]) for dag_id, ti in tasks if ti["try_number"] != 1]
    assert not retried, f"tasks retried during the lock-out: {retried}"
    new_runs = [dbt_cloud.run(run["id"]) for run in dbt_cloud.runs(tenant.SYNTHETIC_JOB_ID) if run["id"] not in runs_before]
    assert len(new_runs) == 2 * DEFERRABLE_DAG_RUNS + SYNC_DAG_RUNS, "a task triggered a second run (or none)"
    assert len({run["trigger"]["cause"] for run in new_runs}) == len(new_runs), "two runs for one task"
    assert {run["status"] for run in new_runs} == {SUCCESS}

    reads = first_reads_after(emulator_log, lifts)
    account_runs = f"/api/v2/accounts/{tenant.ACCOUNT_ID}/runs/"
    board_read = reads.get(account_runs, float("inf")) - lifts  # the status board reads every deferred wait's run in one page
    sync_reads = {run_id: reads.get(f"{account_runs}{run_id}/", float("inf")) - lifts for run_id in
                  (int(rest.xcom("dbt_cloud_run_job", run_id, "run_dbt_cloud_job", "job_run_id"))
                   for run_id in dag_runs["dbt_cloud_run_job"])}
    assert board_read <= PAUSE_AFTER_429, f"the deferred waits read their runs {board_read:.1f} s after the lift"
    assert max(sync_reads.values()) <= PAUSE_AFTER_429, f"sync waits read their runs late after the lift: {sync_reads}"
    last_end = max(datetime.fromisoformat(ti["end_date"]).timestamp() for _, ti in tasks) - lifts
    print(f"lock-out lifted: board read +{board_read:.1f} s, sync reads +{max(sync_reads.values()):.1f} s, "
          f"last task ended +{last_end:.1f} s")
