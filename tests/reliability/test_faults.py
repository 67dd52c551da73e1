"""Faults: the example DAGs succeed while the API fails a fifth of requests, with one dbt run per task.

The emulator injects 429 (with Retry-After), 500, 503, 2 s delays and dropped connections on
/api/ requests, and drops the answer of run triggers after creating the run. The 30-run
version over every example DAG is soak/test_faults_soak.py.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from include.dbt_cloud.hook import DbtCloudUnreachableError, ResilientDbtCloudHook
from include.dbt_cloud.operators import _key_tag, _task_key
from local_runner import demo_tenant as tenant
from tests.e2e.dag_runner import DagRunOutcome, load_dag, run_dag
from tests.reliability.dbt_runs import new_runs, run_ids, runs_per_task, triggering_tasks
from tests.polling import CANCELLED, SUCCESS
from tests.reliability.emulator_control import FIFTH_OF_REQUESTS_FAIL

pytestmark = pytest.mark.e2e
BUILD_ALL = tenant.BUILD_ALL_JOB_ID
RETRY_JOB = tenant.LATE_DATA_JOB_ID


@pytest.mark.parametrize("dag_id", ["dbt_cloud_run_job", "dbt_cloud_deferrable"])
def test_dags_succeed_under_faults_with_exactly_one_run_per_task(dbt_cloud, emulator_control, dag_id):
    dag = load_dag(dag_id)
    before = run_ids(dbt_cloud, [BUILD_ALL])
    injected_before = sum(emulator_control.faults()["injected"].values())
    emulator_control.set_faults(**FIFTH_OF_REQUESTS_FAIL, drop_after_commit_rate=0.5, seed=7)

    outcome = run_dag(dag)

    emulator_control.set_faults(rate=0, drop_after_commit_rate=0)
    assert outcome.state == "success"
    assert sum(emulator_control.faults()["injected"].values()) > injected_before, "no fault was injected: the test proves nothing"
    runs = new_runs(dbt_cloud, [BUILD_ALL], before)
    assert runs_per_task(dag, outcome.dag_run, runs) == {task_id: 1 for task_id in triggering_tasks(dag)}
    assert {run["status"] for run in runs} == {10}
    for task_id in triggering_tasks(dag):
        assert outcome.xcom(task_id, key="job_run_id") in {run["id"] for run in runs}


def test_a_trigger_whose_answer_is_lost_is_found_not_repeated(dbt_cloud, emulator_control):
    dag = load_dag("dbt_cloud_run_job")
    before = run_ids(dbt_cloud, [BUILD_ALL])
    emulator_control.set_faults(drop_after_commit_rate=1)  # every run trigger: created, then the answer is lost

    outcome = run_dag(dag)

    injected = emulator_control.faults()["injected"]
    emulator_control.set_faults(drop_after_commit_rate=0)
    assert outcome.state == "success"
    assert injected.get("drop_after_commit", 0) >= 1
    [run] = new_runs(dbt_cloud, [BUILD_ALL], before)
    assert run["status"] == SUCCESS
    assert outcome.xcom("run_dbt_cloud_job") == run["id"]
    assert outcome.task_instance("run_dbt_cloud_job").try_number == 1


def test_a_rerun_whose_answer_is_lost_is_adopted_not_followed_by_a_fresh_run(dbt_cloud, emulator_control):
    # The retry's POST jobs/333/rerun/ creates the rerun, then its answer is lost. The rerun has no
    # cause to carry the task's key, so the operator must find it as the rerun of its failed run.
    dbt_cloud.reset_job(RETRY_JOB)
    dag = load_dag("dbt_cloud_retry_from_failure")
    dag.get_task("build_with_late_data").retry_delay = timedelta(seconds=1)
    before = run_ids(dbt_cloud, [RETRY_JOB])
    emulator_control.set_faults(drop_after_commit_rate=1)

    outcome = run_dag(dag)

    injected = emulator_control.faults()["injected"]
    emulator_control.set_faults(drop_after_commit_rate=0)
    assert outcome.state == "success"
    assert injected.get("drop_after_commit", 0) >= 2  # the first run's answer and the rerun's
    runs = new_runs(dbt_cloud, [RETRY_JOB], before)
    assert len(runs) == 2, f"expected the failed run and its rerun, got {[(r['id'], r['trigger']['cause']) for r in runs]}"
    failed_run, rerun = runs
    assert (failed_run["status"], rerun["status"]) == (20, 10)
    assert rerun["retrying_run_id"] == failed_run["id"]
    assert outcome.xcom("build_with_late_data") == rerun["id"]
    assert runs_per_task(dag, outcome.dag_run, [failed_run, rerun]) == {"build_with_late_data": 1, "(none)": 1}


def _earlier_try_run(dbt_cloud, dag, logical_date, task_id: str) -> dict:
    """A run triggered as an earlier try of `task_id` in the DAG run dag.test() will make, which then died."""
    tag = _key_tag(_task_key(dag.dag_id, f"manual__{logical_date.isoformat()}", task_id, -1, first_try=1))
    return dbt_cloud.trigger(BUILD_ALL, f"An earlier try of {task_id} (its worker died) {tag}")


def run_dag_at(dag, logical_date: datetime) -> DagRunOutcome:
    """dag.test() at a chosen time, so the DAG run id (and the task keys) are known in advance."""
    return DagRunOutcome(dag.test(logical_date=logical_date, run_after=logical_date))


def test_a_retry_adopts_the_run_an_earlier_try_started_even_when_it_already_succeeded(dbt_cloud):
    # The hard case: try 1 triggered the run, then died (or lost the answer); the run finished
    # before try 2 started. reuse_existing_run cannot see a finished run; the task key can.
    dag = load_dag("dbt_cloud_run_job")
    logical_date = datetime.now(timezone.utc).replace(microsecond=0)
    earlier = _earlier_try_run(dbt_cloud, dag, logical_date, "run_dbt_cloud_job")
    assert dbt_cloud.wait_until_finished(earlier["id"])["status"] == SUCCESS
    before = run_ids(dbt_cloud, [BUILD_ALL])

    outcome = run_dag_at(dag, logical_date)

    assert outcome.state == "success"
    assert outcome.dag_run.run_id == f"manual__{logical_date.isoformat()}"
    assert outcome.xcom("run_dbt_cloud_job") == earlier["id"]
    assert run_ids(dbt_cloud, [BUILD_ALL]) == before, "a second run was started for the same task"


def test_a_retry_after_a_failed_run_runs_the_job_again(dbt_cloud):
    dag = load_dag("dbt_cloud_run_job")
    logical_date = datetime.now(timezone.utc).replace(microsecond=0)
    earlier = _earlier_try_run(dbt_cloud, dag, logical_date, "run_dbt_cloud_job")
    dbt_cloud.cancel(earlier["id"])
    assert dbt_cloud.wait_until_finished(earlier["id"])["status"] == CANCELLED
    before = run_ids(dbt_cloud, [BUILD_ALL])

    outcome = run_dag_at(dag, logical_date)

    assert outcome.state == "success"
    [run] = new_runs(dbt_cloud, [BUILD_ALL], before)
    assert outcome.xcom("run_dbt_cloud_job") == run["id"] != earlier["id"]


def test_sync_calls_wait_out_429_with_retry_after(emulator, emulator_control):
    hook = ResilientDbtCloudHook("dbt_cloud_default")
    emulator_control.set_faults(rate=1, kinds=["429"], retry_after_seconds=2)
    threading.Timer(3, emulator_control.set_faults, kwargs={"rate": 0}).start()
    started = time.monotonic()

    job = hook.get_job(job_id=BUILD_ALL, account_id=tenant.ACCOUNT_ID).json()["data"]

    assert job["id"] == BUILD_ALL
    assert time.monotonic() - started >= 3  # it kept asking, two seconds apart, until the 429s stopped


def test_the_providers_own_sync_hook_fails_on_the_first_429(emulator, emulator_control):
    # Why the template has its own hook: the provider turns a 429 into a task failure at once.
    from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook
    from airflow.sdk.exceptions import AirflowException

    emulator_control.set_faults(rate=1, kinds=["429"])
    with pytest.raises(AirflowException, match="429"):
        DbtCloudHook("dbt_cloud_default", retry_limit=5).get_job(job_id=BUILD_ALL, account_id=tenant.ACCOUNT_ID)


def test_no_answer_at_all_names_the_fix(monkeypatch):
    from local_runner.ports import free_port

    monkeypatch.setenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT",
                       f'{{"conn_type": "dbt_cloud", "host": "localhost:{free_port()}", "login": "{tenant.ACCOUNT_ID}", "password": "x"}}')
    with pytest.raises(DbtCloudUnreachableError,
                       match=r"No answer from dbt Cloud at https://localhost:\d+/.*check that it is up.*AIRFLOW_CONN_DBT_CLOUD_DEFAULT"):
        ResilientDbtCloudHook("dbt_cloud_default", retry_limit=2).get_job(job_id=BUILD_ALL, account_id=tenant.ACCOUNT_ID)
