"""Projects and environments, v2 and v3 (the provider's get_job_by_name and OpenLineage read them;
dbt-jobs-as-code lists an account's environments)."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.accounts import TENANT_CREATED_AT
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.envelope import COMMON_FILTERS, ApiError, int_list_param, int_param, page_of, route, str_list_param, value_and_list
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.tenant import Environment, Project, Tenant

router = APIRouter()
ORDERABLE = ("id", "name", "created_at", "updated_at")
ENVIRONMENT_FILTERS = (
    *COMMON_FILTERS, "project_id", "project_id__in", "dbt_version", "dbt_version__in", "deployment_type",
    "deployment_type__in", "type", "credentials_id",
)


@route(router, "GET", "/api/v2/accounts/{account_id}/projects/", honours=COMMON_FILTERS)
@route(router, "GET", "/api/v3/accounts/{account_id}/projects/", honours=COMMON_FILTERS)
async def list_projects(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    projects = [project for project in state.tenant.projects.values() if project.account_id == account_id]
    return page_of(request, account_id, projects, ORDERABLE, lambda project: project_view(state.tenant, project))


@route(router, "GET", "/api/v2/accounts/{account_id}/projects/{project_id}/")
@route(router, "GET", "/api/v3/accounts/{account_id}/projects/{project_id}/")
async def get_project(request: Request, account_id: int, project_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    return envelope.success(project_view(state.tenant, find_project(state, account_id, project_id)))


@route(router, "GET", "/api/v2/accounts/{account_id}/environments/", honours=ENVIRONMENT_FILTERS)
@route(router, "GET", "/api/v3/accounts/{account_id}/environments/", honours=ENVIRONMENT_FILTERS)
async def list_account_environments(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    return _environments_page(request, state, account_id, int_param(request.query_params, "project_id"))


@route(router, "GET", "/api/v2/accounts/{account_id}/environments/{environment_id}/")
async def get_account_environment(request: Request, account_id: int, environment_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    environment = state.tenant.environments.get(environment_id)
    if environment is None or environment.account_id != account_id:
        raise ApiError(404, f"Environment {environment_id} not found in account {account_id}; list environments with "
                            f"GET /api/v3/accounts/{account_id}/environments/.")
    return envelope.success(environment_view(state.tenant, environment))


@route(router, "GET", "/api/v3/accounts/{account_id}/projects/{project_id}/environments/", honours=ENVIRONMENT_FILTERS)
async def list_environments(request: Request, account_id: int, project_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    find_project(state, account_id, project_id)
    return _environments_page(request, state, account_id, project_id)


@route(router, "GET", "/api/v3/accounts/{account_id}/projects/{project_id}/environments/{environment_id}/")
async def get_environment(request: Request, account_id: int, project_id: int, environment_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    return envelope.success(environment_view(state.tenant, find_environment(state, account_id, project_id, environment_id)))


def _environments_page(request: Request, state: EmulatorState, account_id: int, project_id: int | None) -> JSONResponse:
    """Emulated environments are all deployment environments on the emulator's dbt version, without credentials."""
    query = request.query_params
    filters: dict[str, Any] = {
        "project_id": project_id,
        "project_id__in": int_list_param(query, "project_id__in"),
        "dbt_version__in": value_and_list(query.get("dbt_version"), str_list_param(query, "dbt_version__in")),
        "deployment_type__in": value_and_list(query.get("deployment_type"), str_list_param(query, "deployment_type__in")),
        "type": query.get("type"),
        "credentials_id": int_param(query, "credentials_id"),
    }
    environments = [
        env for env in state.tenant.environments.values()
        if env.account_id == account_id and project_id in (None, env.project_id)
        and (filters["project_id__in"] is None or env.project_id in filters["project_id__in"])
        and (filters["dbt_version__in"] is None or environment_dbt_version() in filters["dbt_version__in"])
        and (filters["deployment_type__in"] is None or env.deployment_type in filters["deployment_type__in"])
        and filters["type"] in (None, "deployment")
        and filters["credentials_id"] is None
    ]
    applied = {name: value for name, value in filters.items() if value is not None}
    return page_of(request, account_id, environments, ORDERABLE, lambda env: environment_view(state.tenant, env), applied)


# lookups


def find_project(state: EmulatorState, account_id: int, project_id: int) -> Project:
    project = state.tenant.projects.get(project_id)
    if project is None or project.account_id != account_id:
        raise ApiError(
            404, f"Project {project_id} not found in account {account_id}; "
            f"list projects with GET /api/v3/accounts/{account_id}/projects/."
        )
    return project


def find_environment(state: EmulatorState, account_id: int, project_id: int, environment_id: int) -> Environment:
    find_project(state, account_id, project_id)
    environment = state.tenant.environments.get(environment_id)
    if environment is None or environment.project_id != project_id:
        raise ApiError(
            404, f"Environment {environment_id} not found in project {project_id}; list environments with "
            f"GET /api/v3/accounts/{account_id}/projects/{project_id}/environments/."
        )
    return environment


# wire shapes


def environment_dbt_version() -> str:
    """dbt Cloud's release-track style version of the dbt-core the emulator runs, e.g. 1.11.0-latest."""
    major, minor = version("dbt-core").split(".")[:2]
    return f"{major}.{minor}.0-latest"


def project_view(tenant: Tenant, project: Project) -> dict[str, Any]:
    """A project with its environments nested, as the projects endpoints return it."""
    environments = [environment_json(env, None) for env in tenant.environments.values() if env.project_id == project.id]
    return project_json(project, environments)


def environment_view(tenant: Tenant, environment: Environment) -> dict[str, Any]:
    """An environment with its project nested, as the environments endpoints return it."""
    return environment_json(environment, project_json(tenant.projects[environment.project_id]))


def connection_json(project: Project) -> dict[str, Any]:
    """The project's warehouse connection. dbt Cloud reports an adapter outside its connection types as
    `adapter`, with an adapter_version from its list; DuckDB is in neither, hence a null version."""
    return {
        "id": project.id, "account_id": project.account_id, "project_id": project.id, "name": "DuckDB (emulator)",
        "type": project.connection_type, "adapter_version": None, "state": 1, "created_at": TENANT_CREATED_AT,
        "updated_at": TENANT_CREATED_AT, "details": {"path": "warehouse.duckdb"},
    }


def project_json(project: Project, environments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A project; `environments` (already serialized) when the response nests them."""
    return {
        "id": project.id, "account_id": project.account_id, "name": project.name, "description": project.description,
        "connection_id": project.id, "repository_id": None, "semantic_layer_config_id": None, "state": 1,
        "dbt_project_subdirectory": None, "docs_job_id": None, "freshness_job_id": None, "type": 0,
        "created_at": TENANT_CREATED_AT, "updated_at": TENANT_CREATED_AT, "connection": connection_json(project),
        "environments": environments or [], "repository": None, "group_permissions": [], "docs_job": None,
        "freshness_job": None, "default_version": None, "fusion_readiness": None,
    }


def environment_json(environment: Environment, project: dict[str, Any] | None) -> dict[str, Any]:
    dbt_version = environment_dbt_version()
    return {
        "id": environment.id, "account_id": environment.account_id, "project_id": environment.project_id,
        "name": environment.name, "type": "deployment", "deployment_type": environment.deployment_type,
        "dbt_version": dbt_version, "raw_dbt_version": dbt_version, "state": 1, "use_custom_branch": False,
        "custom_branch": None, "credentials_id": None, "credentials": None, "connection_id": environment.project_id,
        "supports_docs": True, "is_deferrable": False, "project": project, "fusion_readiness": None,
        "connection": None, "repository": None, "jobs": None, "custom_environment_variables": None,
        "created_at": TENANT_CREATED_AT, "updated_at": TENANT_CREATED_AT,
    }
