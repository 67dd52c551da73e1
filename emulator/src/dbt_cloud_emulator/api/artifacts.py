"""Run artifacts per run step: the list, and the raw file (not an envelope)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.envelope import ApiError
from dbt_cloud_emulator.api.lookups import find_run
from dbt_cloud_emulator.api.params import int_param
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.store import Run
from dbt_cloud_emulator.store.files import UnsafeArtifactPath, check_relative

router = APIRouter()
MEDIA_TYPES = {".json": "application/json", ".sql": "text/plain", ".txt": "text/plain"}


@router.get("/api/v2/accounts/{account_id}/runs/{run_id}/artifacts/")
async def list_artifacts(request: Request, account_id: int, run_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    run = find_run(state, account_id, run_id)
    step = _step_index(state, run, int_param(request.query_params, "step"))
    return envelope.success(state.files.list_artifacts(run.id, step) if step else [])


@router.get("/api/v2/accounts/{account_id}/runs/{run_id}/artifacts/{path:path}")
async def get_artifact(request: Request, account_id: int, run_id: int, path: str) -> FileResponse:
    state = authorize(request, account_id)
    try:
        check_relative(path)
    except UnsafeArtifactPath:
        raise ApiError(400, f"Artifact path {path!r} must be relative to the run's target/ folder, without '..'.") from None
    run = find_run(state, account_id, run_id)
    step = _step_index(state, run, int_param(request.query_params, "step"))
    file = state.files.artifact(run.id, step, path) if step else None
    if file is None:
        where = f"step {step}" if step else "any step"
        raise ApiError(
            404, f"Artifact {path!r} not found for run {run.id} ({where}); list this run's artifacts with "
            f"GET /api/v2/accounts/{account_id}/runs/{run.id}/artifacts/?step=N."
        )
    return FileResponse(file, media_type=MEDIA_TYPES.get(file.suffix, "application/octet-stream"))


def _step_index(state: EmulatorState, run: Run, step: int | None) -> int | None:
    """The requested 1-based step (400 if the run has no such step), else the last step with artifacts."""
    steps = state.store.steps_of([run.id])[run.id]
    if step is not None:
        if not any(existing.index == step for existing in steps):
            raise ApiError(400, f"Run {run.id} has no step {step}; its steps are 1..{len(steps)}.")
        return step
    with_artifacts = [existing.index for existing in steps if existing.has_artifacts]
    return with_artifacts[-1] if with_artifacts else None
