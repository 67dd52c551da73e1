"""/_emulator/: health, job reset, synthetic-run release, fault settings and the request counter."""

from __future__ import annotations

import dataclasses
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api.envelope import ApiError, json_object
from dbt_cloud_emulator.rate_limit import RateLimiter
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


@router.post("/synthetic/runs")
async def create_synthetic_runs(request: Request) -> JSONResponse:
    """{"job_id": 999, "count": N, "seconds": S or [min, max], "fail": F}: N runs of a synthetic job at once,
    with no API request (benchmarks of pollers need thousands in flight without spending the rate limit).
    Each ends S seconds after it starts (a range: spread evenly); the first F end in error."""
    state: EmulatorState = request.app.state.emulator
    body = await json_object(request)
    try:
        job_id, count, fail = int(body["job_id"]), int(body.get("count", 1)), int(body.get("fail", 0))
        seconds = body.get("seconds", state.settings.synthetic_seconds)
        low, high = (float(seconds[0]), float(seconds[1])) if isinstance(seconds, list) else (float(seconds),) * 2
    except (KeyError, ValueError, TypeError, IndexError):
        raise ApiError(400, 'Send {"job_id": <synthetic job id>, "count": N, "seconds": S or [min, max], "fail": F}.') from None
    job = state.jobs.get(job_id)
    if job is None or job_id not in state.tenant.scenarios.get("synthetic", ()):
        raise ApiError(404, f"Job {job_id} is not a synthetic job of the tenant (jobs.yaml's scenarios.synthetic).")
    if not (0 < count <= 20000 and 0 <= low <= high and 0 <= fail <= count):
        raise ApiError(400, "count must be 1-20000, 0 <= seconds, min <= max, and 0 <= fail <= count.")
    run_ids = []
    for index in range(count):
        run = state.engine.trigger(job, {"cause": "Synthetic run (POST /_emulator/synthetic/runs)"})
        spread = low + (high - low) * index / max(count - 1, 1)
        state.scenarios.synthetic_gate.plan(run.id, spread, fail=index < fail)
        run_ids.append(run.id)
    return JSONResponse({"run_ids": run_ids})


@router.get("/rate-limit")
async def get_rate_limit(request: Request) -> JSONResponse:
    """The limit, and per account the requests admitted in the last minute, the 429s sent and any lock-out."""
    limiter: RateLimiter = request.app.state.rate_limiter
    return JSONResponse(limiter.snapshot())


@router.post("/rate-limit")
async def set_rate_limit(request: Request) -> JSONResponse:
    """{"per_minute": N, "cooldown_seconds": S}: change the limit live (0 turns it, or the cooldown, off)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    body = await json_object(request)
    try:
        per_minute = None if body.get("per_minute") is None else int(body["per_minute"])
        cooldown = None if body.get("cooldown_seconds") is None else float(body["cooldown_seconds"])
        if (per_minute or 0) < 0 or (cooldown or 0) < 0:
            raise ValueError
    except (ValueError, TypeError):
        raise ApiError(400, 'Send {"per_minute": <whole number >= 0>, "cooldown_seconds": <seconds >= 0>}.') from None
    limiter.update(per_minute, cooldown)
    return JSONResponse(limiter.snapshot())


@router.post("/rate-limit/lockout")
async def lock_out(request: Request) -> JSONResponse:
    """{"account_id": A, "seconds": S}: every /api/ request of account A answers 429 for S seconds."""
    limiter: RateLimiter = request.app.state.rate_limiter
    body = await json_object(request)
    try:
        account_id, seconds = int(body["account_id"]), float(body["seconds"])
    except (KeyError, ValueError, TypeError):
        raise ApiError(400, 'Send {"account_id": <account id>, "seconds": <how long>}.') from None
    limiter.lock_out(account_id, seconds)
    return JSONResponse(limiter.snapshot())


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
