"""/_emulator/: health, job reset, synthetic-run release, fault settings and the request counter."""

from __future__ import annotations

import dataclasses
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api.envelope import ApiError
from dbt_cloud_emulator.faults import FaultInjector
from dbt_cloud_emulator.request_log import RequestStats
from dbt_cloud_emulator.settings import SettingsError
from dbt_cloud_emulator.state import EmulatorState

router = APIRouter(prefix="/_emulator")


@router.get("/health")
async def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.post("/jobs/{job_id}/reset")
async def reset_job(request: Request, job_id: int) -> JSONResponse:
    state: EmulatorState = request.app.state.emulator
    if state.jobs.get(job_id) is None:
        raise ApiError(404, f"Job {job_id} does not exist; list jobs with GET /api/v2/accounts/<account id>/jobs/.")
    return JSONResponse(state.scenarios.reset(job_id))


@router.post("/synthetic/release")
async def release_synthetic_runs(request: Request) -> JSONResponse:
    """End every waiting synthetic run now; {"fail_run_ids": [...]} names those that end in error."""
    state: EmulatorState = request.app.state.emulator
    try:
        body = json.loads(await request.body() or b"{}")
        fail_run_ids = [int(run_id) for run_id in body.get("fail_run_ids", [])]
    except (ValueError, TypeError, AttributeError, OverflowError):
        raise ApiError(400, 'Send {"fail_run_ids": [<run id>, ...]} (or nothing, to end every run in success).') from None
    return JSONResponse(state.scenarios.synthetic_gate.release(fail_run_ids))


@router.get("/faults")
async def get_faults(request: Request) -> JSONResponse:
    injector: FaultInjector = request.app.state.faults
    return JSONResponse({**dataclasses.asdict(injector.settings), "injected": injector.injected})


@router.put("/faults")
@router.post("/faults")
async def set_faults(request: Request) -> JSONResponse:
    """Change some fault settings, e.g. {"rate": 0.2, "kinds": ["429", "503"]}; {"rate": 0} turns them off."""
    injector: FaultInjector = request.app.state.faults
    try:
        changes = json.loads(await request.body() or b"{}")
        if not isinstance(changes, dict):
            raise ValueError
    except ValueError:
        raise ApiError(400, "Send a JSON object of fault settings, e.g. {\"rate\": 0.1}.") from None
    try:
        updated = injector.update(changes)
    except SettingsError as error:
        raise ApiError(400, str(error)) from None
    return JSONResponse({**dataclasses.asdict(updated), "injected": injector.injected})


@router.get("/stats")
async def get_stats(request: Request) -> JSONResponse:
    stats: RequestStats = request.app.state.stats
    return JSONResponse(stats.snapshot())


@router.delete("/stats")
async def reset_stats(request: Request) -> JSONResponse:
    stats: RequestStats = request.app.state.stats
    stats.reset()
    return JSONResponse(stats.snapshot())
