"""v3 custom environment variables, as dbt-jobs-as-code uses them: the job and environment views (lists),
create, update, delete.

Runs see them: project values, overridden by the environment's, then by the job's own (JobStore.variable_values).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.envelope import ApiError, int_param, json_object, route
from dbt_cloud_emulator.api.jobs import find_job
from dbt_cloud_emulator.api.projects import environment_json, find_project
from dbt_cloud_emulator.api.timefmt import timestamp
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.store import EnvironmentVariable

router = APIRouter()
BASE = "/api/v3/accounts/{account_id}/projects/{project_id}/environment-variables"
TYPES = ("project", "environment", "job", "user")


@route(router, "GET", BASE + "/job/", honours=("job_definition_id",))
async def job_variables(request: Request, account_id: int, project_id: int) -> JSONResponse:
    """{name: {"project": {id, value}, "job": {id, value}}} for the job's variables and the project's."""
    state = authorize(request, account_id)
    find_project(state, account_id, project_id)
    job_id = int_param(request.query_params, "job_definition_id")
    if job_id is None:
        raise ApiError(400, "job_definition_id is required: the id of the job whose variables to list.")
    find_job(state, account_id, job_id)
    data: dict[str, dict[str, Any]] = {}
    for variable in state.jobs.variables(project_id):
        if variable.type == "project" or (variable.type == "job" and variable.job_definition_id == job_id):
            data.setdefault(variable.name, {})[variable.type] = {"id": variable.id, "value": variable.value}
    return envelope.success(data, extra={})


@route(router, "GET", BASE + "/environment/")
async def environment_variables(request: Request, account_id: int, project_id: int) -> JSONResponse:
    """{"environments": ["project", <environment names>], "variables": {name: {"project" | <environment name>: {id, value}}}}."""
    state = authorize(request, account_id)
    find_project(state, account_id, project_id)
    environments = {e.id: e.name for e in state.tenant.environments.values() if e.project_id == project_id}
    variables: dict[str, dict[str, Any]] = {}
    for variable in state.jobs.variables(project_id):
        if variable.type == "project":
            column = "project"
        elif variable.type == "environment" and variable.environment_id in environments:
            column = environments[variable.environment_id]
        else:
            continue
        variables.setdefault(variable.name, {})[column] = {"id": variable.id, "value": variable.value}
    return envelope.success({"environments": ["project", *environments.values()], "variables": variables}, extra={})


@route(router, "POST", BASE + "/")
async def create_variable(request: Request, account_id: int, project_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    find_project(state, account_id, project_id)
    fields = _fields(state, account_id, await json_object(request), None)
    variable = state.jobs.create_variable(account_id=account_id, project_id=project_id, **fields)
    return envelope.success(variable_json(state, variable))


@route(router, "POST", BASE + "/{variable_id}/")
@route(router, "PUT", BASE + "/{variable_id}/")
async def update_variable(request: Request, account_id: int, project_id: int, variable_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    existing = _find(state, account_id, project_id, variable_id)
    fields = _fields(state, account_id, await json_object(request), existing)
    return envelope.success(variable_json(state, state.jobs.update_variable(existing.id, **fields)))


@route(router, "DELETE", BASE + "/{variable_id}/")
async def delete_variable(request: Request, account_id: int, project_id: int, variable_id: int) -> Response:
    state = authorize(request, account_id)
    state.jobs.delete_variable(_find(state, account_id, project_id, variable_id).id)
    return Response(status_code=204)


def _find(state: EmulatorState, account_id: int, project_id: int, variable_id: int) -> EnvironmentVariable:
    variable = state.jobs.variable(variable_id)
    if variable is None or variable.account_id != account_id or variable.project_id != project_id:
        raise ApiError(404, f"Environment variable {variable_id} not found in project {project_id}; list a job's with "
                            f"GET /api/v3/accounts/{account_id}/projects/{project_id}/environment-variables/job/?job_definition_id=N.")
    return variable


def _fields(state: EmulatorState, account_id: int, body: dict[str, Any], existing: EnvironmentVariable | None) -> dict[str, Any]:
    """The documented fields (name, type, scope ids, raw_value or display_value), checked where the API documents them."""
    name = body.get("name", existing.name if existing else None)
    kind = body.get("type", existing.type if existing else None)
    if not isinstance(name, str) or not name.startswith("DBT_"):
        raise ApiError(400, f"name must start with DBT_ (dbt Cloud's rule for custom environment variables), got {name!r}.")
    if kind not in TYPES:
        raise ApiError(400, f"type must be one of {', '.join(TYPES)}, got {kind!r}.")
    job_id = body.get("job_definition_id", existing.job_definition_id if existing else None)
    if kind == "job":
        if job_id is None:
            raise ApiError(400, "A job variable needs job_definition_id: the id of its job.")
        find_job(state, account_id, int(job_id))
    value = body.get("raw_value", body.get("display_value", existing.value if existing else None))
    return {
        "name": name, "type": kind, "job_definition_id": int(job_id) if job_id is not None else None,
        "environment_id": body.get("environment_id", existing.environment_id if existing else None),
        "user_id": body.get("user_id", existing.user_id if existing else None),
        "value": None if value is None else str(value),
    }


def variable_json(state: EmulatorState, variable: EnvironmentVariable) -> dict[str, Any]:
    environment = state.tenant.environments.get(variable.environment_id or -1)
    return {
        "id": variable.id, "account_id": variable.account_id, "project_id": variable.project_id, "name": variable.name,
        "type": variable.type, "user_id": variable.user_id, "environment_id": variable.environment_id,
        "job_definition_id": variable.job_definition_id, "display_value": variable.value, "state": 1,
        "created_at": timestamp(variable.created_at), "updated_at": timestamp(variable.updated_at),
        "environment": environment_json(environment, None) if environment else None,
    }
