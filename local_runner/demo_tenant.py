"""The emulator's demo tenant (emulator/jobs.yaml; jobs 111-444 are dbt_cloud_jobs.yml's, under demo ids):
the ids and tokens that tests, bench and local_runner use.

tests/unit/test_demo_tenant.py checks them against the tenant file. The template's own defaults for
the DAGs are in include/dbt_cloud/config.py (the copyable package does not import this module).
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

ACCOUNT_ID = 12345
TOKEN = "dbtc_emulator_local_token"
OTHER_ACCOUNT_ID = 54321  # a second account, for tokens scoped to the wrong account
OTHER_ACCOUNT_TOKEN = "dbtc_emulator_other_account_token"

PROJECT_ID = 70001
PRODUCTION_ENVIRONMENT_ID = 80001
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
    """The DBT_CLOUD_* settings under which the DAGs run against the demo tenant, read from the emulator's
    tenant file and dbt_cloud_jobs.yml: what `make start` and the test suite give Airflow when the DAGs'
    connection is the emulator's. {} where the tenant file is absent (inside the Astro image)."""
    tenant_file = root / "emulator" / "jobs.yaml"
    if not tenant_file.exists():
        return {}
    tenant = yaml.safe_load(tenant_file.read_text())
    environment = next(e for e in tenant["environments"] if e["id"] == tenant["jobs_as_code"]["environment_id"])
    project = next(p for p in tenant["projects"] if p["id"] == environment["project_id"])
    build_all = yaml.safe_load((root / "dbt_cloud_jobs.yml").read_text())["jobs"]["build_all"]
    return {"DBT_CLOUD_ACCOUNT_ID": str(project["account_id"]), "DBT_CLOUD_PROJECT_ID": str(project["id"]),
            "DBT_CLOUD_ENVIRONMENT_ID": str(environment["id"]), "DBT_CLOUD_PROJECT_NAME": project["name"],
            "DBT_CLOUD_ENVIRONMENT_NAME": environment["name"],
            "DBT_CLOUD_JOB_NAME": f"{build_all['name']} [[build_all]]"}
