"""Crashes: the emulator is SIGKILLed mid-run and restarted; the DAG ends as the dbt run really ended.

The interrupted run is marked Error by the emulator's restart recovery (as dbt Cloud fails a
run whose runner died); the task, which kept asking through the outage, fails with it and
starts no second run. (With the DAG's retries, the next try runs the job again, because that
run failed.) An Airflow task process killed mid-wait needs a running Airflow:
soak/test_stack_stop_and_kill.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from local_runner import demo_tenant as tenant
from tests.e2e.dag_runner import load_dag, run_dag
from tests.polling import ERROR, RUNNING, wait_until
from tests.reliability.dbt_runs import new_runs, run_ids

pytestmark = pytest.mark.e2e
BUILD_ALL = tenant.BUILD_ALL_JOB_ID


def kill_and_restart_when_running(emulator, dbt_cloud, before: set[int], done: list[str]) -> None:
    wait_until("the DAG's run to be running", lambda: any(
        run["status"] == RUNNING for run in dbt_cloud.runs(BUILD_ALL) if run["id"] not in before), 300, every=0.5)
    emulator.kill()
    time.sleep(2)
    emulator.start()
    done.append("restarted")


def test_emulator_killed_mid_run_fails_the_task_with_the_run_and_starts_no_other(dbt_cloud, emulator):
    dag = load_dag("dbt_cloud_run_job")
    dag.get_task("run_dbt_cloud_job").retries = 0
    before = run_ids(dbt_cloud, [BUILD_ALL])
    done: list[str] = []
    killer = threading.Thread(target=kill_and_restart_when_running, args=(emulator, dbt_cloud, before, done))
    killer.start()
    try:
        outcome = run_dag(dag)
    finally:
        killer.join()
        if not emulator.is_healthy():
            emulator.start()  # leave the session's emulator running whatever happened

    assert done == ["restarted"]
    assert outcome.state == "failed"
    [run] = new_runs(dbt_cloud, [BUILD_ALL], before)
    assert run["status"] == ERROR
    assert "emulator stopped while this run was in progress" in run["status_message"]
    assert outcome.xcom("run_dbt_cloud_job", key="job_run_id") == run["id"]
