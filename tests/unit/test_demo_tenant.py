"""local_runner/demo_tenant.py names the emulator's demo tenant as emulator/jobs.yaml defines it."""

from __future__ import annotations

import pytest
import yaml

from local_runner import demo_tenant as tenant
from tests.environment import NO_EMULATOR_HERE, ROOT, emulator_available


@pytest.fixture(scope="module")
def tenant_file() -> dict:
    if not emulator_available():
        pytest.skip(NO_EMULATOR_HERE)
    return yaml.safe_load((ROOT / "emulator" / "jobs.yaml").read_text())


def test_accounts_and_tokens(tenant_file):
    accounts = {account["id"]: account["tokens"] for account in tenant_file["accounts"]}
    assert tenant.TOKEN in accounts[tenant.ACCOUNT_ID]
    assert tenant.OTHER_ACCOUNT_TOKEN in accounts[tenant.OTHER_ACCOUNT_ID]


def test_project_environments_and_jobs(tenant_file):
    [project] = [p for p in tenant_file["projects"] if p["id"] == tenant.PROJECT_ID]
    assert project["account_id"] == tenant.ACCOUNT_ID
    environments = {e["id"]: e for e in tenant_file["environments"]}
    assert environments[tenant.PRODUCTION_ENVIRONMENT_ID]["name"] == "Production"
    assert environments[tenant.STAGING_ENVIRONMENT_ID]["name"] == "Staging"
    jobs = {job["id"]: job for job in tenant_file["jobs"]}
    assert jobs[tenant.BUILD_ALL_JOB_ID]["name"] == jobs[tenant.STAGING_BUILD_ALL_JOB_ID]["name"] == "Build all models"
    assert jobs[tenant.STAGING_BUILD_ALL_JOB_ID]["environment_id"] == tenant.STAGING_ENVIRONMENT_ID
    assert jobs[tenant.LATE_DATA_JOB_ID]["name"] == "Build with late-arriving data"
    assert jobs[tenant.PUBLISH_MARTS_JOB_ID]["name"] == "Publish marts"
    assert jobs[tenant.SYNTHETIC_JOB_ID]["name"].startswith("Synthetic wait")
    assert jobs[tenant.TAGGED_JOB_ID]["name"] == "Build hourly and daily models"
