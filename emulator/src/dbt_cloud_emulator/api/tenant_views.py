"""Tenant objects with the related objects dbt Cloud nests in them (job -> account, project, environment)."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from dbt_cloud_emulator.api.serializers import account_json, environment_json, job_json, project_json
from dbt_cloud_emulator.tenant import Environment, Job, Project, Tenant


def environment_dbt_version() -> str:
    """dbt Cloud's release-track style version of the dbt-core the emulator runs, e.g. 1.11.0-latest."""
    major, minor = version("dbt-core").split(".")[:2]
    return f"{major}.{minor}.0-latest"


def project_view(tenant: Tenant, project: Project) -> dict[str, Any]:
    environments = [
        environment_json(env, environment_dbt_version(), None)
        for env in tenant.environments.values() if env.project_id == project.id
    ]
    return project_json(project, environments)


def environment_view(tenant: Tenant, environment: Environment) -> dict[str, Any]:
    return environment_json(environment, environment_dbt_version(), project_json(tenant.projects[environment.project_id]))


def job_view(tenant: Tenant, job: Job, in_run: bool = False) -> dict[str, Any]:
    return job_json(
        job,
        account=account_json(tenant.accounts[job.account_id]),
        project=project_json(tenant.projects[job.project_id]),
        environment=environment_json(tenant.environments[job.environment_id], environment_dbt_version(), None),
        in_run=in_run,
    )
