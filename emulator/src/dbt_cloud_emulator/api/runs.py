"""v2 runs: list (filters, ordering, pages), get (the pollers' hot path), cancel."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.envelope import ApiError
from dbt_cloud_emulator.api.lookups import find_run
from dbt_cloud_emulator.api.params import Page, choice_list_param, int_list_param, int_param, order_by_param
from dbt_cloud_emulator.api.routing import route
from dbt_cloud_emulator.api.run_views import one_run_json, runs_json
from dbt_cloud_emulator.api.serializers import RUN_RELATED
from dbt_cloud_emulator.engine import RunStatus
from dbt_cloud_emulator.store import RunFilter
from dbt_cloud_emulator.store.runs import ORDERABLE_RUN_COLUMNS

router = APIRouter()
STATUS_CODES = tuple(int(status) for status in RunStatus)


@route(router, "GET", "/api/v2/accounts/{account_id}/runs/")
async def list_runs(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    query = request.query_params
    include = choice_list_param(query, "include_related", RUN_RELATED)
    page = Page.from_query(query)
    order_by = order_by_param(query, ORDERABLE_RUN_COLUMNS)
    status = int_param(query, "status")
    status_in = int_list_param(query, "status__in")
    for code in [status, *(status_in or [])]:
        if code is not None and code not in STATUS_CODES:
            raise ApiError(400, f"Unknown run status {code}; run statuses are {', '.join(map(str, STATUS_CODES))}.")
    statuses = _combine(status, status_in)
    run_filter = RunFilter(
        job_id=int_param(query, "job_definition_id"),
        project_id=int_param(query, "project_id"),
        environment_id=int_param(query, "environment_id"),
        statuses=statuses,
    )
    runs, total = state.store.list_runs(account_id, run_filter, order_by, page.limit, page.offset)
    page.check_within(total)
    filters = {
        "account_id": account_id,
        "job_definition_id": run_filter.job_id,
        "project_id": run_filter.project_id,
        "environment_id": run_filter.environment_id,
        "status": status,
        "status__in": status_in,
        "include_related": sorted(include) or None,
        "limit": page.limit,
        "offset": page.offset,
    }
    return envelope.listing(
        runs_json(state, runs, include),
        filters={name: value for name, value in filters.items() if value is not None},
        order_by=order_by,
        total=total,
    )


@route(router, "GET", "/api/v2/accounts/{account_id}/runs/{run_id}/")
async def get_run(request: Request, account_id: int, run_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    include = choice_list_param(request.query_params, "include_related", RUN_RELATED)
    return envelope.success(one_run_json(state, find_run(state, account_id, run_id), include))


@route(router, "POST", "/api/v2/accounts/{account_id}/runs/{run_id}/cancel/")
async def cancel_run(request: Request, account_id: int, run_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    run = await state.engine.cancel(find_run(state, account_id, run_id))
    return envelope.success(one_run_json(state, run, {"trigger", "job"}))


def _combine(status: int | None, status_in: list[int] | None) -> tuple[int, ...] | None:
    """status and status__in both narrow the list: a run must satisfy each one given."""
    if status is None:
        return None if status_in is None else tuple(status_in)
    if status_in is None:
        return (status,)
    return (status,) if status in status_in else ()
