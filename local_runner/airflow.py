"""Airflow 3 as four local processes, configured like the Astro image but sized for a laptop."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time

import requests
from cryptography.fernet import Fernet
from dotenv import dotenv_values

from local_runner import demo_tenant
from local_runner.config import LocalConfig
from local_runner.emulator import StartError
from local_runner.processes import Component, alive, log_tail

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def components(cfg: LocalConfig) -> list[Component]:
    airflow = str(cfg.airflow_venv / "bin" / "airflow")
    argv = {"api-server": [airflow, "api-server", "--port", str(cfg.airflow_port)]}
    return [Component(name, argv.get(name, [airflow, name])) for name in COMPONENTS]


def _local_secrets(cfg: LocalConfig) -> dict[str, str]:
    """Keys every component must share (JWT signing, Fernet); made once, kept in the state folder."""
    path = cfg.airflow_home / "local-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    values = {"jwt_secret": secrets.token_urlsafe(32), "fernet_key": Fernet.generate_key().decode(),
              "api_secret_key": secrets.token_urlsafe(32)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(values))
    return values


def environment(cfg: LocalConfig) -> dict[str, str]:
    """What the Airflow processes see: .env wins over the shell, as under `astro dev start`."""
    cfg.airflow_home.mkdir(parents=True, exist_ok=True)
    keys = _local_secrets(cfg)
    passwords = cfg.airflow_home / "simple-auth-passwords.json"
    passwords.write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(cfg.airflow_home),
        "PYTHONPATH": str(cfg.root),
        "AIRFLOW__CORE__DAGS_FOLDER": str(cfg.root / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(cfg.root / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(cfg.parallelism),
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{cfg.airflow_url}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
        "AIRFLOW__API__BASE_URL": cfg.airflow_url,
        # New DAG files show up within seconds instead of the default five minutes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "20",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        # LocalExecutor workers come from a forkserver that has imported the task runner, DagBag and the
        # provider, so each task process inherits them instead of importing them again (measured
        # by the capacity bench). Only installed packages: include/ and dags/ stay fresh per task.
        "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
        "AIRFLOW__CORE__MP_FORKSERVER_PRELOAD": "airflow.sdk.execution_time.task_runner,airflow.dag_processing.dagbag,"
                                                "airflow.providers.dbt.cloud.operators.dbt",
        "REQUESTS_CA_BUNDLE": str(cfg.trust_bundle),
        "SSL_CERT_FILE": str(cfg.trust_bundle),
        "LOCAL_WAREHOUSE_DIR": str(cfg.warehouse_dir),
    }
    env.update({k: v for k, v in dotenv_values(cfg.dotenv).items() if v is not None})
    env.update(demo_tenant.dag_settings_for(env, cfg.root))
    return env


def migrate(cfg: LocalConfig, env: dict[str, str]) -> None:
    log = cfg.logs_dir / "db-migrate.log"
    cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        done = subprocess.run([str(cfg.airflow_venv / "bin" / "airflow"), "db", "migrate"], env=env,
                              cwd=cfg.root, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise StartError(f"`airflow db migrate` failed ({log}):\n{tail}")


def health(cfg: LocalConfig) -> dict | None:
    try:
        resp = requests.get(f"{cfg.airflow_url}/api/v2/monitor/health", timeout=3)
        return resp.json() if resp.ok else None
    except (requests.RequestException, ValueError):
        return None


def is_healthy(report: dict | None) -> bool:
    if not report:
        return False
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return all((report.get(p) or {}).get("status") == "healthy" for p in parts)


def wait_healthy(cfg: LocalConfig, pids: dict[str, int], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    report = None
    while time.monotonic() < deadline:
        report = health(cfg)
        if is_healthy(report):
            return
        for comp in components(cfg):
            if comp.name in pids and not alive(pids[comp.name]):
                raise StartError(f"Airflow's {comp.name} exited while starting. Its log ({comp.log_file(cfg)}):\n"
                                 f"{log_tail(cfg, comp)}")
        time.sleep(1)
    raise StartError(f"Airflow was not healthy within {timeout:.0f} s (last report: {report}). See `make logs`.")


def api_session(cfg: LocalConfig) -> requests.Session:
    """A session holding a JWT for the admin user, for the REST API."""
    resp = requests.post(f"{cfg.airflow_url}/auth/token",
                         json={"username": ADMIN_USER, "password": ADMIN_PASSWORD}, timeout=10)
    resp.raise_for_status()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
    return session
