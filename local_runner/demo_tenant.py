"""The emulator's demo tenant (emulator/jobs.yaml; jobs 111-444 are dbt_cloud_jobs.yml's, under demo ids):
the ids and tokens that tests, bench and local_runner use.

tests/unit/test_demo_tenant.py checks them against the tenant file. The DAGs get the demo tenant's
DBT_CLOUD_* settings from their launcher (`dag_settings_for`): local_runner under `make start`,
local_runner/airflow_local_settings.py under `astro dev start`, tests/conftest.py in the suite. The
copyable package (include/dbt_cloud) knows nothing of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from local_runner import settings_file
from local_runner.config import EMULATOR_SERVICE_NAME

ROOT = Path(__file__).resolve().parents[1]

ACCOUNT_ID = 12345
TOKEN = "dbtc_emulator_local_token"
OTHER_ACCOUNT_ID = 54321  # a second account, for tokens scoped to the wrong account
OTHER_ACCOUNT_TOKEN = "dbtc_emulator_other_account_token"

PROJECT_ID, PROJECT_NAME = 70001, "Jaffle Shop Analytics"
PRODUCTION_ENVIRONMENT_ID, PRODUCTION_ENVIRONMENT_NAME = 80001, "Production"  # where dbt_cloud_jobs.yml's jobs are
STAGING_ENVIRONMENT_ID = 80002

# The template's jobs as code (dbt_cloud_jobs.yml), by identifier, under their demo ids.
JOB_IDENTIFIERS = ("build_all", "build_tagged", "build_with_retry", "publish_marts")
BUILD_ALL_JOB_ID = 111  # [[build_all]] "Build all models": `dbt build` (DBT_CLOUD_JOB_ID)
TAGGED_JOB_ID = 222  # [[build_tagged]] steps overridden by tag (DBT_CLOUD_TAGGED_JOB_ID)
LATE_DATA_JOB_ID = 333  # [[build_with_retry]] fails until its late data lands (DBT_CLOUD_RETRY_JOB_ID)
PUBLISH_MARTS_JOB_ID = 444  # [[publish_marts]] chained after 111 (DBT_CLOUD_DOWNSTREAM_JOB_ID)
STAGING_BUILD_ALL_JOB_ID = 555  # "Build all models [[build_all]]" again, in Staging
SYNTHETIC_JOB_ID = 999  # no dbt: its runs wait a set time (or until released), for cancellation and the bench


def dag_settings(root: Path = ROOT) -> dict[str, str]:
    """The DBT_CLOUD_* settings under which the DAGs run against the demo tenant (the job name from
    dbt_cloud_jobs.yml, which the Astro image has too)."""
    build_all = yaml.safe_load((root / "dbt_cloud_jobs.yml").read_text())["jobs"]["build_all"]
    return {"DBT_CLOUD_ACCOUNT_ID": str(ACCOUNT_ID), "DBT_CLOUD_PROJECT_ID": str(PROJECT_ID),
            "DBT_CLOUD_ENVIRONMENT_ID": str(PRODUCTION_ENVIRONMENT_ID), "DBT_CLOUD_PROJECT_NAME": PROJECT_NAME,
            "DBT_CLOUD_ENVIRONMENT_NAME": PRODUCTION_ENVIRONMENT_NAME,
            "DBT_CLOUD_JOB_NAME": f"{build_all['name']} [[build_all]]"}


def dag_settings_for(environ: Mapping[str, str], root: Path = ROOT) -> dict[str, str]:
    """The demo tenant's settings that `environ` leaves unset, if the DAGs' connection is the emulator's:
    airflow_settings.yaml gives it the emulator's compose host and no AIRFLOW_CONN_<conn id> variable
    replaces it. Otherwise (another connection id, a connection in .env, real dbt Cloud in
    airflow_settings.yaml) {}: no demo value reaches DAGs that talk to another dbt Cloud."""
    from include.dbt_cloud.config import DbtCloudSettings  # the DAGs' own reading of the connection id

    conn_id = DbtCloudSettings(environ).conn_id
    if f"AIRFLOW_CONN_{conn_id.upper()}" in environ:
        return {}
    connections = settings_file.load(root / "airflow_settings.yaml").connections
    if not any(c["conn_id"] == conn_id and str(c.get("conn_host") or "").split(":")[0] == EMULATOR_SERVICE_NAME
               for c in connections):
        return {}
    return {name: value for name, value in dag_settings(root).items() if name not in environ}
