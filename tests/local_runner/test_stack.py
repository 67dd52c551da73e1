"""`make start` / `make stop` on an isolated stack: real processes, real ports, real login."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests

from tests.environment import NO_EMULATOR_HERE, emulator_available
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(not emulator_available(), reason=NO_EMULATOR_HERE)


def test_start_serves_the_ui_with_admin_login(local_stack):
    resp = requests.post(f"{local_stack.airflow_url}/auth/token", json={"username": "admin", "password": "admin"}, timeout=10)
    assert resp.status_code in (200, 201), resp.text
    token = resp.json()["access_token"]
    dags = requests.get(f"{local_stack.airflow_url}/api/v2/dags", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert dags.ok and dags.json()["total_entries"] >= 1
    wrong = requests.post(f"{local_stack.airflow_url}/auth/token", json={"username": "admin", "password": "nope"}, timeout=10)
    assert wrong.status_code in (401, 403)
    assert requests.get(f"{local_stack.airflow_url}/auth/login", timeout=10).ok, "the login page is served"


def test_start_applies_airflow_settings_with_the_emulator_on_localhost(local_stack):
    from local_runner import airflow, demo_tenant

    conn = airflow.api_session(local_stack).get(f"{local_stack.airflow_url}/api/v2/connections/dbt_cloud_default", timeout=10).json()
    assert conn["conn_type"] == "dbt_cloud"
    assert conn["host"] == f"localhost:{local_stack.emulator_port}"
    assert conn["login"] == str(demo_tenant.ACCOUNT_ID)


def test_every_dag_imports_with_the_emulator_demo_ids(local_stack):
    from local_runner import airflow

    session, base = airflow.api_session(local_stack), local_stack.airflow_url
    dag_files = {p.name for p in (local_stack.root / "dags").glob("*.py")}

    def parsed():  # the dag-processor parses each file once after start
        errors = session.get(f"{base}/api/v2/importErrors", timeout=10).json()["import_errors"]
        loaded = {Path(d["fileloc"]).name for d in session.get(f"{base}/api/v2/dags", params={"limit": 100},
                                                               timeout=10).json()["dags"]}
        return (errors, loaded) if errors or loaded == dag_files else None

    errors, loaded = wait_until("dags/ to be parsed", parsed, timeout=120, every=2)
    assert [error["stack_trace"].splitlines()[-1] for error in errors] == []
    assert loaded == dag_files


def test_the_asset_consumer_succeeds_by_hand_and_when_its_model_is_rebuilt(local_stack):
    from local_runner import airflow
    from tests.docker.airflow_rest import FINISHED, AirflowRest

    consumer, producer = "dbt_cloud_orders_consumer", "dbt_cloud_model_results"
    rest = AirflowRest(local_stack.airflow_url, airflow.api_session(local_stack).headers["Authorization"].split()[1])
    rest.wait_for_dags({consumer, producer})

    by_hand = rest.trigger(consumer)  # as the UI's Trigger button: no asset event, the model never built
    assert rest.wait_finished({consumer: by_hand}, timeout=180) == {consumer: "success"}
    assert rest.wait_finished({producer: rest.trigger(producer)}, timeout=600) == {producer: "success"}

    def asset_triggered_runs():
        runs = rest.session.get(f"{rest.api}/dags/{consumer}/dagRuns", params={"run_type": "asset_triggered"},
                                timeout=60).json()["dag_runs"]
        return [run["state"] for run in runs if run["state"] in FINISHED]

    assert wait_until("the consumer's run scheduled by the orders model", asset_triggered_runs, timeout=180,
                      every=3) == ["success"]


def test_start_runs_the_mail_sink_that_smtp_default_points_at(local_stack):
    import mailbox
    import smtplib
    from email.message import EmailMessage

    from local_runner import airflow

    session = airflow.api_session(local_stack)
    conn = session.get(f"{local_stack.airflow_url}/api/v2/connections/smtp_default", timeout=10).json()
    assert (conn["conn_type"], conn["host"], conn["port"]) == ("smtp", "localhost", local_stack.smtp_port)
    to = session.get(f"{local_stack.airflow_url}/api/v2/variables/dbt_cloud_alert_email", timeout=10).json()["value"]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "airflow@localhost", to, "through smtp_default"
    with smtplib.SMTP(conn["host"], conn["port"], timeout=10) as smtp:
        smtp.send_message(message)
    assert [m["Subject"] for m in mailbox.Maildir(local_stack.maildir, create=False)] == ["through smtp_default"]


def test_start_twice_is_harmless(local_stack, capsys):
    from local_runner import stack
    from local_runner.processes import running_pid

    before = {c.name: running_pid(local_stack, c) for c in stack.all_components(local_stack)}
    stack.start(local_stack)
    after = {c.name: running_pid(local_stack, c) for c in stack.all_components(local_stack)}
    assert before == after and all(after.values())
    assert "Starting" not in capsys.readouterr().out


def test_start_on_a_taken_port_says_which_and_starts_nothing(tmp_path):
    from local_runner import stack
    from local_runner.config import LocalConfig
    from local_runner.processes import marked_processes

    with socket.socket() as squatter:
        squatter.bind(("0.0.0.0", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        cfg = LocalConfig.isolated(tmp_path, emulator_port=port)
        with pytest.raises(SystemExit, match=rf"Port {port} \(the dbt Cloud emulator\) is already in use.*DBT_CLOUD_EMULATOR_PORT={port + 1}"):
            stack.start(cfg)
    assert marked_processes(cfg) == []


def test_stop_leaves_no_process_and_a_second_stop_says_nothing_runs(tmp_path_factory, capsys):
    from local_runner import stack
    from local_runner.config import LocalConfig
    from local_runner.processes import marked_processes

    cfg = LocalConfig.isolated(tmp_path_factory.mktemp("stop"))
    stack.start(cfg)
    assert len(marked_processes(cfg)) >= 5
    stack.stop_all(cfg)
    assert marked_processes(cfg) == []
    capsys.readouterr()
    stack.stop_all(cfg)
    assert "Nothing to stop" in capsys.readouterr().out
