"""v2 jobs: list, get, trigger a run, rerun from failure."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.listing import page_of
from dbt_cloud_emulator.api.lookups import find_job
from dbt_cloud_emulator.api.params import int_list_param, int_param
from dbt_cloud_emulator.api.routing import route
from dbt_cloud_emulator.api.run_views import one_run_json
from dbt_cloud_emulator.api.tenant_views import job_view
from dbt_cloud_emulator.api.trigger_body import parse_trigger_body

router = APIRouter()
ORDERABLE = ("id", "name", "created_at", "updated_at")


@route(router, "GET", "/api/v2/accounts/{account_id}/jobs/")
async def list_jobs(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    query = request.query_params
    filters = {
        "project_id": int_param(query, "project_id"),
        "environment_id": int_param(query, "environment_id"),
        "project_id__in": int_list_param(query, "project_id__in"),
    }
    jobs = [
        job
        for job in state.tenant.jobs.values()
        if job.account_id == account_id
        and filters["project_id"] in (None, job.project_id)
        and filters["environment_id"] in (None, job.environment_id)
        and (filters["project_id__in"] is None or job.project_id in filters["project_id__in"])
    ]
    applied = {name: value for name, value in filters.items() if value is not None}
    return page_of(request, account_id, jobs, ORDERABLE, lambda job: job_view(state.tenant, job), filters=applied)


@route(router, "GET", "/api/v2/accounts/{account_id}/jobs/{job_id}/")
async def get_job(request: Request, account_id: int, job_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    return envelope.success(job_view(state.tenant, find_job(state, account_id, job_id)))


@route(router, "POST", "/api/v2/accounts/{account_id}/jobs/{job_id}/run/")
async def trigger_run(request: Request, account_id: int, job_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    job = find_job(state, account_id, job_id)
    body = parse_trigger_body(await request.body())
    run = state.engine.trigger(job, body)
    return envelope.success(one_run_json(state, run, {"trigger", "job"}))


@route(router, "POST", "/api/v2/accounts/{account_id}/jobs/{job_id}/rerun/")
async def rerun(request: Request, account_id: int, job_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    run = state.engine.rerun(find_job(state, account_id, job_id))
    return envelope.success(one_run_json(state, run, {"trigger", "job"}))
