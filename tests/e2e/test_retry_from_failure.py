"""dbt_cloud_retry_from_failure: job 333 fails on a real dbt node; the Airflow retry reruns it.

The first run of job 333 after a reset fails (its late FX rates have not landed); the emulator
then lands them, so a rerun (`dbt retry`) succeeds.
"""

from __future__ import annotations

import pytest

from tests.e2e.dag_runner import load_dag, run_dag
from local_runner import demo_tenant as tenant
from tests.polling import ERROR

pytestmark = pytest.mark.e2e

RETRY_JOB = tenant.LATE_DATA_JOB_ID
FAILED = {"error", "fail"}


def new_runs(dbt_cloud, before: set[int]) -> list[dict]:
    return [run for run in dbt_cloud.runs(RETRY_JOB) if run["id"] not in before]


def test_a_failed_run_fails_the_task_and_its_link_and_failing_nodes_are_logged_and_mailed(
        dbt_cloud, emulator, callback_log, mail_sink):
    dbt_cloud.reset_job(RETRY_JOB)
    before = {run["id"] for run in dbt_cloud.runs(RETRY_JOB)}
    dag = load_dag("dbt_cloud_retry_from_failure")
    dag.get_task("build_with_late_data").retries = 0

    outcome = run_dag(dag)
    log = callback_log()

    assert outcome.state == "failed"
    [run] = new_runs(dbt_cloud, before)
    run = dbt_cloud.run(run["id"])
    assert run["status"] == ERROR
    failing_nodes = [uid for uid, status in dbt_cloud.results_by_node(run["id"]).items() if status in FAILED]
    assert failing_nodes
    # The failure callback adds what the provider does not log: the run link and each failing dbt node.
    assert run["href"] in log
    for uid in failing_nodes:
        assert f"dbt node {uid}: error" in log
    assert emulator.token not in log

    # The task's final failure is mailed, through the smtp provider, to the local mail sink.
    mails = list(mail_sink)
    assert len(mails) == 1, f"expected one failure mail in the mail sink, got {len(mails)}"
    [mail] = mails
    assert mail["To"] == "data-platform@localhost"
    assert mail["Subject"] == f"dbt Cloud run {run['id']} Error: dbt_cloud_retry_from_failure.build_with_late_data"
    [body] = [part.get_payload(decode=True).decode() for part in mail.walk() if part.get_content_type() == "text/html"]
    assert f'<a href="{run["href"]}">' in body
    for uid in failing_nodes:
        assert f"dbt node {uid}: error" in body
    assert emulator.token not in mail.as_string()


def test_the_retry_rebuilds_only_the_failed_and_skipped_nodes(dbt_cloud):
    dbt_cloud.reset_job(RETRY_JOB)
    before = {run["id"] for run in dbt_cloud.runs(RETRY_JOB)}

    outcome = run_dag(load_dag("dbt_cloud_retry_from_failure"))

    assert outcome.state == "success"
    assert outcome.task_instance("build_with_late_data").try_number == 2
    failed_run, rerun = new_runs(dbt_cloud, before)
    assert (failed_run["status"], rerun["status"]) == (20, 10)
    assert outcome.xcom("build_with_late_data") == rerun["id"]

    first = dbt_cloud.results_by_node(failed_run["id"])
    to_redo = {uid for uid, status in first.items() if status in FAILED | {"skipped"}}
    assert {status for uid, status in first.items() if uid in to_redo} >= {"error", "skipped"}
    assert len(to_redo) < len(first), "the failed run built some nodes that the rerun must not rebuild"
    second = dbt_cloud.results_by_node(rerun["id"], "dbt retry")
    assert set(second) == to_redo
    assert set(second.values()) <= {"success", "pass"}
