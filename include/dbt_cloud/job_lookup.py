"""Find a dbt Cloud job by its dbt-jobs-as-code identifier when the task runs (never at parse time).

dbt-jobs-as-code names each job `<name> [[<identifier>]]`, the identifier being its key in the YAML
file. It stays the same in every account and across renames, where ids differ and change when a job is
recreated; the operator asks dbt Cloud (the provider's `list_jobs`) which job carries it.
"""

from __future__ import annotations

import re
from typing import Any

from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook, DbtCloudResourceLookupError
from airflow.sdk.exceptions import AirflowFailException

# dbt-jobs-as-code's tag: `[[identifier]]`, or `[[import filter:identifier]]`.
_IDENTIFIER_TAG = re.compile(r"\[\[(?:[*\w-]+:)?([\w-]+)\]\]")
_ACTIVE = 1  # a job's state; deleted jobs have 2


class DbtCloudJobLookupError(DbtCloudResourceLookupError, AirflowFailException):
    """No job, or more than one, carries the identifier: failed at once, since a retry would find the same."""


def _identifier_of(job_name: str) -> str | None:
    found = _IDENTIFIER_TAG.search(job_name)
    return found.group(1) if found else None


def _find_job(hook: DbtCloudHook, identifier: str, *, account_id: int | None, project_id: int | None,
             environment_id: int | None, pin: str) -> dict[str, Any]:
    """The one active job whose name carries `[[identifier]]`, in the account and, when given, the
    project and environment. `pin` says how to name a job by id instead (for the error messages)."""
    responses = hook.list_jobs(account_id=account_id, project_id=project_id, environment_id=environment_id,
                               name_contains=identifier)
    jobs = [job for response in responses for job in response.json()["data"]
            if job.get("state", _ACTIVE) == _ACTIVE and _identifier_of(job["name"]) == identifier]
    where = "account " + (str(account_id) if account_id else "of the connection")
    where += f", project {project_id}" if project_id else ", any project"
    where += f", environment {environment_id}" if environment_id else ", any environment"
    if not jobs:
        raise DbtCloudJobLookupError(
            f"No dbt Cloud job has [[{identifier}]] (its dbt-jobs-as-code identifier) in its name in {where}. "
            f"Create the job there with dbt-jobs-as-code (DBT_CLOUD_PROJECT_ID and DBT_CLOUD_ENVIRONMENT_ID say "
            f"where; the docs' \"The template's jobs as code\"), or {pin}."
        )
    if len(jobs) > 1:
        found = ", ".join(f"{job['id']} ({job['name']!r}, environment {job['environment_id']})" for job in jobs)
        raise DbtCloudJobLookupError(
            f"{len(jobs)} dbt Cloud jobs have [[{identifier}]] in their name in {where}: {found}. Set "
            "DBT_CLOUD_PROJECT_ID and DBT_CLOUD_ENVIRONMENT_ID to the environment the DAGs use, delete the "
            f"extra job, or {pin}."
        )
    return jobs[0]
