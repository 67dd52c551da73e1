"""`make demo`: start the stack, run `dbt_cloud_run_job` once, and show the dbt Cloud run it made.

It talks to Airflow through its REST API (as the UI does) and to dbt Cloud through the provider's
hook, so it works the same against the emulator and against real dbt Cloud (.env).
"""

from __future__ import annotations

import json
import os
import time
import warnings

import requests

from local_runner import airflow, settings_file, stack
from local_runner.config import LocalConfig
from local_runner.install import say

DAG_ID = "dbt_cloud_run_job"
TASK_ID = "run_dbt_cloud_job"
JOB_IDENTIFIER = "build_all"  # the DAG's job in dbt_cloud_jobs.yml
RUN_TIMEOUT = 15 * 60


class DemoError(RuntimeError):
    """What went wrong and what to do, in a line or two."""


def _point_provider_at_stack(cfg: LocalConfig) -> None:
    """This process uses the same environment and dbt Cloud connection as the Airflow tasks."""
    os.environ.update(airflow.environment(cfg))
    from include.dbt_cloud.config import settings

    variable = f"AIRFLOW_CONN_{settings.conn_id.upper()}"
    if variable not in os.environ:
        loaded = settings_file.load(cfg.root / "airflow_settings.yaml")
        conn = next((c for c in loaded.connections if c["conn_id"] == settings.conn_id), None)
        if conn is None:
            raise DemoError(f"No connection {settings.conn_id!r}: add it to airflow_settings.yaml or set {variable} in .env.")
        host, _ = settings_file.local_address(conn.get("conn_host"), None, cfg.service_ports)
        os.environ[variable] = json.dumps({"conn_type": "dbt_cloud", "host": host, "login": str(conn["conn_login"]),
                                           "password": conn["conn_password"]})


def _preflight():
    """Check the job exists and the token works before Airflow is involved: one clear line if not."""
    # The provider's own deprecation notices are for its maintainers, not for a newcomer's first run.
    warnings.simplefilter("ignore")
    from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook

    from include.dbt_cloud.config import DbtCloudSettingsError, settings
    from include.dbt_cloud.operators import DbtCloudJobLookupError, _find_job

    try:
        account_id, job_id = settings.account_id, settings.job_id(JOB_IDENTIFIER)
        project_id, environment_id = settings.project_id, settings.environment_id
    except DbtCloudSettingsError as exc:
        raise DemoError(str(exc)) from None
    hook = DbtCloudHook(settings.conn_id)
    host = hook.get_connection(settings.conn_id).host or "cloud.getdbt.com"
    try:
        if isinstance(job_id, str):  # as the DAG's task does: the job of dbt_cloud_jobs.yml, by its identifier
            job = _find_job(hook, JOB_IDENTIFIER, account_id=account_id, project_id=project_id,
                           environment_id=environment_id, pin="set DBT_CLOUD_JOB_ID in .env to the id of the job to run")
        else:
            job = hook.get_job(job_id=job_id, account_id=account_id).json()["data"]
    except DbtCloudJobLookupError as exc:
        raise DemoError(str(exc)) from None
    except requests.ConnectionError:
        raise DemoError(f"Cannot reach dbt Cloud at https://{host}/. If that is the emulator, `make start` starts it; "
                        "otherwise check the host in AIRFLOW_CONN_DBT_CLOUD_DEFAULT in .env.") from None
    except Exception as exc:  # the hook raises AirflowException("<code>:<reason>") for HTTP errors
        code = str(exc).split(":", 1)[0]
        fixes = {
            "401": "the token was refused: set the connection's password (AIRFLOW_CONN_DBT_CLOUD_DEFAULT in .env) to a valid token.",
            "403": f"the token has no access to account {account_id}: check DBT_CLOUD_ACCOUNT_ID in .env.",
            "404": f"job {job_id} does not exist in account {account_id}: set DBT_CLOUD_JOB_ID in .env to an existing "
                   "job id, or remove it to run dbt_cloud_jobs.yml's build_all.",
        }
        raise DemoError(f"dbt Cloud at {host} answered {exc}: {fixes.get(code, 'see the message above.')}") from None
    say(f"dbt Cloud job {job['id']} {job['name']!r} found in account {account_id} at {host}")
    return hook, account_id


def _trigger(session: requests.Session, base: str) -> str:
    deadline = time.monotonic() + 120
    while session.get(f"{base}/api/v2/dags/{DAG_ID}", timeout=10).status_code == 404:
        if time.monotonic() > deadline:
            raise DemoError(f"Airflow has not loaded {DAG_ID} after 2 minutes: see `make logs SERVICE=dag-processor`.")
        time.sleep(1)
    session.patch(f"{base}/api/v2/dags/{DAG_ID}", json={"is_paused": False}, timeout=10).raise_for_status()
    resp = session.post(f"{base}/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None}, timeout=10)
    resp.raise_for_status()
    return resp.json()["dag_run_id"]


def _xcom(session: requests.Session, base: str, dag_run_id: str, key: str):
    url = f"{base}/api/v2/dags/{DAG_ID}/dagRuns/{dag_run_id}/taskInstances/{TASK_ID}/xcomEntries/{key}"
    resp = session.get(url, timeout=10)
    return resp.json().get("value") if resp.ok else None


def _wait(session, base, dag_run_id, hook, account_id) -> tuple[str, int | None]:
    started, last_line, run_id = time.monotonic(), "", None
    while time.monotonic() - started < RUN_TIMEOUT:
        state = session.get(f"{base}/api/v2/dags/{DAG_ID}/dagRuns/{dag_run_id}", timeout=10).json()["state"]
        if run_id is None and (run_id := _xcom(session, base, dag_run_id, "job_run_id")) is not None:
            say(f"dbt Cloud run {run_id} triggered: {_xcom(session, base, dag_run_id, 'job_run_url')}")
        line = f"Airflow DAG run: {state}"
        if run_id is not None:
            run = hook.get_job_run(int(run_id), account_id=account_id).json()["data"]
            line += f"; dbt Cloud run {run_id}: {run['status_humanized']}"
        if line != last_line:
            say(f"{line} ({time.monotonic() - started:.0f} s)")
            last_line = line
        if state in ("success", "failed"):
            return state, None if run_id is None else int(run_id)
        time.sleep(2)
    raise DemoError(f"The DAG run did not finish within {RUN_TIMEOUT // 60} minutes: open {base} to see where it is.")


def _summary(hook, account_id: int, run_id: int) -> str:
    run = hook.get_job_run(run_id, account_id=account_id, include_related=["run_steps"]).json()["data"]
    lines = [f"dbt Cloud run {run_id}: {run['status_humanized']} in {run['run_duration_humanized']}",
             f"  link: {run['href']}", "  steps:"]
    lines += [f"    {s['index']}. {s['name']:<45} {s['status_humanized']:<9} {s['duration_humanized']}"
              for s in run["run_steps"]]
    results = []
    for step in run["run_steps"]:
        if step["name"].startswith("Invoke dbt with `dbt ") and not any(w in step["name"] for w in ("deps", "docs")):
            try:
                results += hook.get_job_run_artifact(run_id, "run_results.json", account_id=account_id,
                                                     step=step["index"]).json()["results"]
            except Exception:  # a step that failed before dbt wrote results has none
                continue
    if results:
        nodes = [r for r in results if not r["unique_id"].startswith("test.")]
        tests = [r for r in results if r["unique_id"].startswith("test.")]
        lines.append("  models and seeds:")
        lines += [f"    {r['unique_id'].split('.', 2)[-1]:<32} {r['status']:<8} {r['execution_time']:.2f} s" for r in nodes]
        counts = {o: sum(r["status"] == o for r in tests) for o in sorted({r["status"] for r in tests})}
        lines.append(f"  tests: {len(tests)} ({', '.join(f'{n} {o}' for o, n in counts.items())})")
        lines += [f"    {r['status']}: {r['unique_id'].split('.', 2)[-1]}" for r in tests if r["status"] not in ("pass", "skipped")]
    return "\n".join(lines)


def run(cfg: LocalConfig) -> int:
    began = time.monotonic()
    try:
        stack.start(cfg)
        _point_provider_at_stack(cfg)
        hook, account_id = _preflight()
        session = airflow.api_session(cfg)
        dag_run_id = _trigger(session, cfg.airflow_url)
        say(f"Triggered {DAG_ID} (DAG run {dag_run_id})")
        state, run_id = _wait(session, cfg.airflow_url, dag_run_id, hook, account_id)
    except DemoError as exc:
        raise SystemExit(f"make demo failed: {exc}") from None
    print()
    if run_id is not None:
        print(_summary(hook, account_id, run_id))
    print(f"\nAirflow DAG run {dag_run_id}: {state} ({time.monotonic() - began:.0f} s in all for make demo)")
    print(f"Airflow is still running at {cfg.airflow_url} (admin / admin): open {DAG_ID} to see the run. "
          "Stop everything with `make stop`.")
    if state != "success":
        print(f"The DAG run failed: its task log at {cfg.airflow_url}/dags/{DAG_ID} says why.")
        return 1
    return 0
