"""Bad input: each mistake fails fast with a message that names the fix, and starts no dbt Cloud run.

Already covered elsewhere (not repeated here): every DBT_CLOUD_* variable missing or malformed
(tests/unit/test_dbt_cloud_settings.py), a malformed airflow_settings.yaml
(tests/project/test_settings_file.py), the emulator's port taken (tests/local_runner/test_stack.py),
the emulator not running (test_faults.py::test_no_answer_at_all_names_the_fix), and make demo's
preflight. Here: what reaches a running DAG, a malformed .env, and Airflow's port taken.
"""

from __future__ import annotations

import logging
import re
import socket

import pytest

from local_runner import demo_tenant as tenant
from tests.e2e.dag_runner import load_dag, run_dag
from tests.environment import NO_EMULATOR_HERE, emulator_available
from tests.polling import ERROR
from tests.reliability.dbt_runs import run_ids

pytestmark = pytest.mark.e2e
BUILD_ALL = tenant.BUILD_ALL_JOB_ID
TAGGED = tenant.TAGGED_JOB_ID


def conn_json(emulator, password: str) -> str:
    return f'{{"conn_type": "dbt_cloud", "host": "{emulator.host}", "login": "{tenant.ACCOUNT_ID}", "password": "{password}"}}'


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("token", "dbtc_not_a_real_token", r"401:Unauthorized: dbt Cloud says 'Invalid token\.'.*set the password of connection 'dbt_cloud_default'"),
        ("token", tenant.OTHER_ACCOUNT_TOKEN, r"403:Forbidden: .*Token is not scoped to account.*set DBT_CLOUD_ACCOUNT_ID"),
        ("DBT_CLOUD_JOB_ID", "424242", r"404:Not Found: .*424242.*check DBT_CLOUD_ACCOUNT_ID and the job id"),
    ],
    ids=["wrong-token-401", "other-accounts-token-403", "unknown-job-404"],
)
def test_refused_requests_fail_the_task_at_once_with_the_fix(dbt_cloud, emulator, monkeypatch, capfd, setting, value, message):
    if setting == "token":
        monkeypatch.setenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", conn_json(emulator, value))
    else:
        monkeypatch.setenv(setting, value)
    before = run_ids(dbt_cloud, [BUILD_ALL])

    outcome = run_dag(load_dag("dbt_cloud_run_job"))
    task_log = capfd.readouterr().out  # dag.test() prints the task's log

    assert outcome.state == "failed"
    assert outcome.task_instance("run_dbt_cloud_job").try_number == 1, "a refused request must not be retried"
    assert run_ids(dbt_cloud, [BUILD_ALL]) == before
    assert re.search(message, task_log), task_log[-3000:]
    assert "dbtc_not_a_real_token" not in task_log


def test_steps_that_are_not_dbt_commands_are_refused_with_the_fix(dbt_cloud, capfd):
    dag = load_dag("dbt_cloud_hourly_models")
    dag.get_task("build_hourly_models").steps_override = ["build --select tag:hourly"]
    before = run_ids(dbt_cloud, [TAGGED])

    outcome = run_dag(dag)
    task_log = capfd.readouterr().out

    assert outcome.state == "failed"
    assert outcome.task_instance("build_hourly_models").try_number == 1
    assert run_ids(dbt_cloud, [TAGGED]) == before
    assert re.search(r"400:Bad Request: dbt Cloud says .steps_override entries must be dbt commands", task_log), task_log[-3000:]


def test_a_dbt_command_dbt_rejects_fails_the_run_and_the_log_shows_dbts_error(dbt_cloud, capfd):
    dag = load_dag("dbt_cloud_hourly_models")
    task = dag.get_task("build_hourly_models")
    task.steps_override, task.retries = ["dbt build --selekt tag:hourly"], 0
    before = run_ids(dbt_cloud, [TAGGED])

    outcome = run_dag(dag)

    assert outcome.state == "failed"
    [run_id] = run_ids(dbt_cloud, [TAGGED]) - before
    run = dbt_cloud.run(run_id)
    assert run["status"] == ERROR
    # The provider logs the failed step with its log: dbt's own words, which name the fix.
    task_log = capfd.readouterr().out
    assert "Error: No such option '--selekt'. (Did you mean one of: '--sample', '--select'" in task_log, task_log[-3000:]


def test_a_malformed_dotenv_line_is_named(tmp_path, caplog, capfd):
    from include.dbt_cloud.config import _load_dotenv_file

    dotenv = tmp_path / ".env"
    dotenv.write_text("DBT_CLOUD_ACCOUNT_ID=12345\nDBT_CLOUD_JOB_ID 111\n")  # the second line lacks its "="
    with caplog.at_level(logging.WARNING):
        _load_dotenv_file(dotenv)
    shown = caplog.text + capfd.readouterr().err
    assert "could not parse statement starting at line 2" in shown


def test_a_malformed_id_breaks_only_the_dags_that_use_it(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    from local_runner.config import PROJECT_ROOT

    monkeypatch.setenv("DBT_CLOUD_DOWNSTREAM_JOB_ID", "publish-marts")
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))

    [(path, error)] = bag.import_errors.items()
    assert path.endswith("dbt_cloud_chained_jobs.py")
    assert "DBT_CLOUD_DOWNSTREAM_JOB_ID='publish-marts' is not a dbt Cloud id" in error
    assert "set DBT_CLOUD_DOWNSTREAM_JOB_ID=<job id> in .env" in error
    assert "dbt_cloud_run_job" in bag.dags


@pytest.mark.skipif(not emulator_available(), reason=NO_EMULATOR_HERE)  # it starts the local stack
def test_airflows_port_taken_says_which_and_leaves_nothing_running(tmp_path):
    from local_runner import stack
    from local_runner.config import LocalConfig
    from local_runner.processes import marked_processes

    with socket.socket() as squatter:
        squatter.bind(("0.0.0.0", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        cfg = LocalConfig.isolated(tmp_path, airflow_port=port)
        with pytest.raises(SystemExit, match=rf"Port {port} \(the Airflow UI and API\) is already in use.*LOCAL_AIRFLOW_PORT={port + 1}"):
            stack.start(cfg)
    assert marked_processes(cfg) == []
