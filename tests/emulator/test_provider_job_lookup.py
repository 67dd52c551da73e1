"""Finding a job by its jobs-as-code identifier (include/dbt_cloud/operators.py) with the provider's
real hook, over HTTPS, against the emulator's tenant (jobs 111-444 from dbt_cloud_jobs.yml)."""

from __future__ import annotations

import pytest

from include.dbt_cloud.operators import DbtCloudJobLookupError, _find_job, _identifier_of
from local_runner import demo_tenant as tenant
from tests.emulator.provider_helpers import hook

pytestmark = pytest.mark.e2e
PIN = "set DBT_CLOUD_JOB_ID in .env to the id of the job to run"
PRODUCTION = {"account_id": tenant.ACCOUNT_ID, "project_id": tenant.PROJECT_ID,
              "environment_id": tenant.PRODUCTION_ENVIRONMENT_ID}


@pytest.mark.parametrize(("identifier", "job_id"), [
    ("build_all", tenant.BUILD_ALL_JOB_ID), ("build_tagged", tenant.TAGGED_JOB_ID),
    ("build_with_retry", tenant.LATE_DATA_JOB_ID), ("publish_marts", tenant.PUBLISH_MARTS_JOB_ID)])
def test_each_template_job_is_found_in_the_demo_environment(emulator, identifier, job_id):
    assert _find_job(hook(), identifier, **PRODUCTION, pin=PIN)["id"] == job_id


def test_the_environment_alone_and_the_connections_account_are_enough(emulator):
    job = _find_job(hook(), "build_all", account_id=None, project_id=None,
                   environment_id=tenant.STAGING_ENVIRONMENT_ID, pin=PIN)
    assert (job["id"], job["name"]) == (tenant.STAGING_BUILD_ALL_JOB_ID, "Build all models [[build_all]]")


def test_the_identifier_in_two_environments_names_both_jobs(emulator):
    with pytest.raises(DbtCloudJobLookupError) as raised:
        _find_job(hook(), "build_all", account_id=tenant.ACCOUNT_ID, project_id=None, environment_id=None, pin=PIN)
    message = str(raised.value)
    assert message.startswith(f"2 dbt Cloud jobs have [[build_all]] in their name in account {tenant.ACCOUNT_ID}, "
                              "any project, any environment: ")
    assert f"{tenant.BUILD_ALL_JOB_ID} ('Build all models [[build_all]]', environment {tenant.PRODUCTION_ENVIRONMENT_ID})" in message
    assert f"{tenant.STAGING_BUILD_ALL_JOB_ID} (" in message
    assert "DBT_CLOUD_ENVIRONMENT_ID" in message and PIN in message


def test_no_job_with_the_identifier_names_where_it_looked_and_the_fix(emulator):
    with pytest.raises(DbtCloudJobLookupError) as raised:
        _find_job(hook(), "publish_marts", account_id=tenant.ACCOUNT_ID, project_id=tenant.PROJECT_ID,
                 environment_id=tenant.STAGING_ENVIRONMENT_ID, pin=PIN)
    assert str(raised.value) == (
        f"No dbt Cloud job has [[publish_marts]] (its dbt-jobs-as-code identifier) in its name in account "
        f"{tenant.ACCOUNT_ID}, project {tenant.PROJECT_ID}, environment {tenant.STAGING_ENVIRONMENT_ID}. Create the "
        "job there with dbt-jobs-as-code (DBT_CLOUD_PROJECT_ID and DBT_CLOUD_ENVIRONMENT_ID say where; the docs' "
        f"\"The template's jobs as code\"), or {PIN}.")


def test_a_name_that_merely_contains_the_identifier_is_not_a_match(emulator, dbt_cloud):
    """`name__icontains` narrows the list; only the exact tag counts, and deleted jobs do not."""
    body = {"environment_id": tenant.PRODUCTION_ENVIRONMENT_ID, "name": "Build all models [[build_all_v2]]",
            "execute_steps": ["dbt build"]}
    created = dbt_cloud._call("POST", f"/api/v2/accounts/{tenant.ACCOUNT_ID}/jobs/", json=body).json()["data"]
    copy = dbt_cloud._call("POST", f"/api/v2/accounts/{tenant.ACCOUNT_ID}/jobs/",
                           json={**body, "name": "Copy [[build_all]]"}).json()["data"]
    dbt_cloud._call("DELETE", f"/api/v2/accounts/{tenant.ACCOUNT_ID}/jobs/{copy['id']}/")
    try:
        assert _find_job(hook(), "build_all", **PRODUCTION, pin=PIN)["id"] == tenant.BUILD_ALL_JOB_ID
    finally:
        dbt_cloud._call("DELETE", f"/api/v2/accounts/{tenant.ACCOUNT_ID}/jobs/{created['id']}/")


@pytest.mark.parametrize(("name", "identifier"), [
    ("Build all models [[build_all]]", "build_all"), ("Nightly [[*:nightly-marts]]", "nightly-marts"),
    ("[[a1]] at the start", "a1"), ("Build all models", None), ("[build_all]", None)])
def test_identifier_of_reads_dbt_jobs_as_codes_tag(name, identifier):
    assert _identifier_of(name) == identifier
