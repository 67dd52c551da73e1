"""`make jobs-plan` / `make jobs-sync`: dbt-jobs-as-code (pinned, .clients/dbt-jobs-as-code/) on
dbt_cloud_jobs.yml, against the connection .env configures: the emulator of `make start` by default,
real dbt Cloud when .env sets AIRFLOW_CONN_DBT_CLOUD_DEFAULT (then DBT_CLOUD_PROJECT_ID and
DBT_CLOUD_ENVIRONMENT_ID name where the jobs go; the DAGs look the jobs up there by identifier)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import requests
from dotenv import dotenv_values

from local_runner import demo_tenant
from local_runner.config import LocalConfig
from local_runner.emulator import is_healthy
from local_runner.install import ROOT, client_venv

JOBS_FILE = ROOT / "dbt_cloud_jobs.yml"
DEMO_ACCOUNT_ID, DEMO_TOKEN = demo_tenant.ACCOUNT_ID, demo_tenant.TOKEN
EMULATOR_PROJECT_ID, EMULATOR_ENVIRONMENT_ID = demo_tenant.PROJECT_ID, demo_tenant.PRODUCTION_ENVIRONMENT_ID


def connection(settings: dict[str, str], cfg: LocalConfig) -> tuple[dict[str, str], dict[str, int]]:
    """(the client's environment, the jobs file's variables) for .env's connection."""
    raw = settings.get("AIRFLOW_CONN_DBT_CLOUD_DEFAULT")
    if not raw:
        if not is_healthy(cfg):
            raise SystemExit(f"The dbt Cloud emulator does not answer at {cfg.emulator_url}: run `make start` first "
                             "(or set AIRFLOW_CONN_DBT_CLOUD_DEFAULT in .env to use real dbt Cloud).")
        env = {"DBT_BASE_URL": cfg.emulator_url, "DBT_API_KEY": DEMO_TOKEN,
               "REQUESTS_CA_BUNDLE": str(cfg.trust_bundle)}
        return env, {"account_id": DEMO_ACCOUNT_ID, "project_id": EMULATOR_PROJECT_ID,
                     "environment_id": EMULATOR_ENVIRONMENT_ID}
    try:
        conn = json.loads(raw)
        host, account_id, token = conn["host"], int(conn["login"]), conn["password"]
        ids = {name: int(settings[f"DBT_CLOUD_{name.upper()}"]) for name in ("project_id", "environment_id")}
    except (ValueError, KeyError, TypeError) as problem:
        raise SystemExit(
            "make jobs-plan/jobs-sync read .env: AIRFLOW_CONN_DBT_CLOUD_DEFAULT must be the JSON form "
            "({\"conn_type\": \"dbt_cloud\", \"host\": ..., \"login\": \"<account id>\", \"password\": \"<token>\"}), "
            f"and DBT_CLOUD_PROJECT_ID and DBT_CLOUD_ENVIRONMENT_ID your project's and environment's ids ({problem!r})."
        ) from None
    host = host if host.startswith("https://") else f"https://{host}"
    return {"DBT_BASE_URL": host.rstrip("/"), "DBT_API_KEY": token}, {"account_id": account_id, **ids}


def print_jobs(env: dict[str, str], variables: dict[str, int]) -> None:
    """The synced jobs by identifier: the DAGs find them so at run time, no id to copy into .env."""
    response = requests.get(
        f"{env['DBT_BASE_URL']}/api/v2/accounts/{variables['account_id']}/jobs/",
        params={"project_id": variables["project_id"], "environment_id": variables["environment_id"]},
        headers={"Authorization": f"Token {env['DBT_API_KEY']}"}, verify=env.get("REQUESTS_CA_BUNDLE", True), timeout=30,
    )
    response.raise_for_status()
    from include.dbt_cloud.operators import _identifier_of  # the tag as the DAGs' tasks read it

    for job in response.json()["data"]:
        if _identifier_of(job["name"]):
            print(f"    job {job['id']}: {job['name']}")


def main(command: str) -> int:
    cfg = LocalConfig()
    settings = {**dotenv_values(cfg.dotenv), **os.environ}
    env, variables = connection(settings, cfg)
    vars_file = cfg.state_dir / "dbt_cloud_jobs.vars.yml"
    vars_file.parent.mkdir(parents=True, exist_ok=True)
    vars_file.write_text("".join(f"{name}: {value}\n" for name, value in variables.items()))
    tool = client_venv("dbt-jobs-as-code") / "bin" / "dbt-jobs-as-code"
    print(f"==> dbt-jobs-as-code {command} {JOBS_FILE.name} against {env['DBT_BASE_URL']} "
          f"(account {variables['account_id']}, project {variables['project_id']}, "
          f"environment {variables['environment_id']})", flush=True)
    # The file's project and environment are the scope: jobs elsewhere in the account (the same file
    # synced to another environment) are neither compared nor deleted.
    code = subprocess.run([str(tool), command, str(JOBS_FILE), "--vars-yml", str(vars_file),
                           "--limit-projects-envs-to-yml"], env={**os.environ, **env}).returncode
    if code == 0 and command == "sync":
        print("==> The DAGs find these jobs by their [[identifier]] when they run (restart Airflow, copy no id):")
        print_jobs(env, variables)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
