"""local_runner/demo_tenant.py names the emulator's demo tenant as emulator/jobs.yaml (and, for the
template's jobs, dbt_cloud_jobs.yml) defines it."""

from __future__ import annotations

import pytest
import yaml

from local_runner import demo_tenant as tenant
from tests.environment import NO_EMULATOR_HERE, ROOT, emulator_available, emulator_tenant_jobs


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
    assert (project["account_id"], project["name"]) == (tenant.ACCOUNT_ID, tenant.PROJECT_NAME)
    environments = {e["id"]: e for e in tenant_file["environments"]}
    assert environments[tenant.PRODUCTION_ENVIRONMENT_ID]["name"] == tenant.PRODUCTION_ENVIRONMENT_NAME
    assert tenant_file["jobs_as_code"]["environment_id"] == tenant.PRODUCTION_ENVIRONMENT_ID
    assert environments[tenant.STAGING_ENVIRONMENT_ID]["name"] == "Staging"
    jobs = emulator_tenant_jobs()
    # The template's jobs, named as dbt-jobs-as-code names what it syncs; 555 as if synced to Staging too.
    build_all = "Build all models [[build_all]]"
    assert jobs[tenant.BUILD_ALL_JOB_ID]["name"] == jobs[tenant.STAGING_BUILD_ALL_JOB_ID]["name"] == build_all
    assert jobs[tenant.STAGING_BUILD_ALL_JOB_ID]["environment_id"] == tenant.STAGING_ENVIRONMENT_ID
    assert jobs[tenant.LATE_DATA_JOB_ID]["name"] == "Build with late-arriving data [[build_with_retry]]"
    assert jobs[tenant.PUBLISH_MARTS_JOB_ID]["name"] == "Publish marts [[publish_marts]]"
    assert jobs[tenant.TAGGED_JOB_ID]["name"] == "Build hourly and daily models [[build_tagged]]"
    assert jobs[tenant.SYNTHETIC_JOB_ID]["name"].startswith("Synthetic wait")
    demo_jobs = (tenant.BUILD_ALL_JOB_ID, tenant.TAGGED_JOB_ID, tenant.LATE_DATA_JOB_ID, tenant.PUBLISH_MARTS_JOB_ID)
    assert {jobs[job_id]["environment_id"] for job_id in demo_jobs} == {tenant.PRODUCTION_ENVIRONMENT_ID}


def test_the_template_jobs_come_from_the_jobs_as_code_file(tenant_file):
    """Defined once: dbt_cloud_jobs.yml has the steps; emulator/jobs.yaml only the demo ids."""
    as_code = yaml.safe_load((ROOT / "dbt_cloud_jobs.yml").read_text())["jobs"]
    assert tenant_file["jobs_as_code"]["ids"] == dict(zip(tenant.JOB_IDENTIFIERS, (
        tenant.BUILD_ALL_JOB_ID, tenant.TAGGED_JOB_ID, tenant.LATE_DATA_JOB_ID, tenant.PUBLISH_MARTS_JOB_ID)))
    jobs = emulator_tenant_jobs()
    for identifier, job_id in tenant_file["jobs_as_code"]["ids"].items():
        assert jobs[job_id]["execute_steps"] == as_code[identifier]["execute_steps"]
    assert not {job["id"] for job in tenant_file["jobs"]} & set(tenant_file["jobs_as_code"]["ids"].values())
