"""v3 projects and environments (the provider's get_job_by_name and OpenLineage use them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.listing import page_of
from dbt_cloud_emulator.api.lookups import find_environment, find_project
from dbt_cloud_emulator.api.routing import route
from dbt_cloud_emulator.api.tenant_views import environment_view, project_view

router = APIRouter()
ORDERABLE = ("id", "name", "created_at", "updated_at")


@route(router, "GET", "/api/v3/accounts/{account_id}/projects/")
async def list_projects(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    projects = [project for project in state.tenant.projects.values() if project.account_id == account_id]
    return page_of(request, account_id, projects, ORDERABLE, lambda project: project_view(state.tenant, project))


@route(router, "GET", "/api/v3/accounts/{account_id}/projects/{project_id}/")
async def get_project(request: Request, account_id: int, project_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    return envelope.success(project_view(state.tenant, find_project(state, account_id, project_id)))


@route(router, "GET", "/api/v3/accounts/{account_id}/projects/{project_id}/environments/")
async def list_environments(request: Request, account_id: int, project_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    find_project(state, account_id, project_id)
    environments = [env for env in state.tenant.environments.values() if env.project_id == project_id]
    return page_of(
        request, account_id, environments, ORDERABLE, lambda env: environment_view(state.tenant, env),
        filters={"project_id": project_id},
    )


@route(router, "GET", "/api/v3/accounts/{account_id}/projects/{project_id}/environments/{environment_id}/")
async def get_environment(request: Request, account_id: int, project_id: int, environment_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    environment = find_environment(state, account_id, project_id, environment_id)
    return envelope.success(environment_view(state.tenant, environment))
