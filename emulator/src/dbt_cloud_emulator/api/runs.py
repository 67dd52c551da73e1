"""v2 runs: list (filters, ordering, pages), get (the pollers' hot path), cancel, retry and its failure details,
one run step, and artifacts per run step: the list, and the raw file (not an envelope), also as a job's latest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from dbt_cloud_emulator.api import envelope, jobs
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.projects import environment_view
from dbt_cloud_emulator.api.envelope import (
    ApiError, Page, bool_param, choice_list_param, datetime_range_param, int_list_param, int_param, order_by_param,
    route, state_param, str_list_param, value_and_list,
)
from dbt_cloud_emulator.api.timefmt import duration, humanized_ago, humanized_duration, timestamp
from dbt_cloud_emulator.engine import RunStatus
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.store import Run, RunFilter, RunStep
from dbt_cloud_emulator.store.files import UnsafeArtifactPath, check_relative
from dbt_cloud_emulator.store.runs import ORDERABLE_RUN_COLUMNS

router = APIRouter()
STATUS_CODES = tuple(int(status) for status in RunStatus)
RUN_RELATED = (
    "trigger", "job", "environment", "repository", "run_steps", "run_retries", "used_repo_cache",
    "repo_cache_restore", "audit", "debug_logs",
)
_RELATED_EMPTY_LISTS = ("run_steps", "run_retries")
# Without include_related=debug_logs dbt Cloud truncates each step's debug logs to their last 1,000 lines.
DEBUG_LOG_TAIL_LINES = 1000
JOB_ARTIFACT_PAGE = 100  # runs searched at a time for a job's latest artifact
MEDIA_TYPES = {".json": "application/json", ".sql": "text/plain", ".txt": "text/plain"}


@route(router, "GET", "/api/v2/accounts/{account_id}/runs/", honours=(
    "include_related", "limit", "offset", "order_by", "status", "status__in", "pk", "pk__in", "id__gt",
    "job_definition_id", "project_id", "project_id__in", "environment_id", "dbt_version", "dbt_version__in",
    "has_docs_generated", "has_sources_generated", "deferring_run_id", "created_at__range", "finished_at__range", "state"))
async def list_runs(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    query = request.query_params
    include = choice_list_param(query, "include_related", RUN_RELATED)
    page = Page.from_query(query)
    order_by = order_by_param(query, ORDERABLE_RUN_COLUMNS)
    filters = {
        "job_definition_id": int_param(query, "job_definition_id"),
        "project_id": int_param(query, "project_id"),
        "project_id__in": int_list_param(query, "project_id__in"),
        "environment_id": int_param(query, "environment_id"),
        "status": int_param(query, "status"),
        "status__in": int_list_param(query, "status__in"),
        "pk": int_param(query, "pk"),
        "pk__in": int_list_param(query, "pk__in"),
        "id__gt": int_param(query, "id__gt"),
        "dbt_version": query.get("dbt_version"),
        "dbt_version__in": str_list_param(query, "dbt_version__in"),
        "has_docs_generated": bool_param(query, "has_docs_generated"),
        "has_sources_generated": bool_param(query, "has_sources_generated"),
        "deferring_run_id": int_param(query, "deferring_run_id"),
        "created_at__range": datetime_range_param(query, "created_at__range"),
        "finished_at__range": datetime_range_param(query, "finished_at__range"),
        "state": query.get("state"),
    }
    for code in [filters["status"], *(filters["status__in"] or [])]:
        if code is not None and code not in STATUS_CODES:
            raise ApiError(400, f"Unknown run status {code}; run statuses are {', '.join(map(str, STATUS_CODES))}.")
    run_filter = RunFilter(
        job_id=filters["job_definition_id"],
        project_id=filters["project_id"],
        environment_id=filters["environment_id"],
        statuses=value_and_list(filters["status"], filters["status__in"]),
        ids=value_and_list(filters["pk"], filters["pk__in"]),
        id_above=filters["id__gt"],
        project_ids=value_and_list(None, filters["project_id__in"]),
        dbt_versions=value_and_list(filters["dbt_version"], filters["dbt_version__in"]),
        has_docs_generated=filters["has_docs_generated"],
        created_between=filters["created_at__range"],
        finished_between=filters["finished_at__range"],
        # emulated runs never generate sources, never defer to another run, and are never deleted
        match_none=bool(filters["has_sources_generated"]) or filters["deferring_run_id"] is not None
        or state_param(query, "all") == (2,),
    )
    found, total = state.store.list_runs(account_id, run_filter, order_by, page.limit, page.offset)
    applied = {"account_id": account_id, **filters, "include_related": sorted(include) or None,
               "limit": page.limit, "offset": page.offset}
    return envelope.listing(
        runs_json(state, found, include),
        filters={name: value for name, value in applied.items() if value is not None},
        order_by=order_by,
        total=total,
    )


@route(router, "GET", "/api/v2/accounts/{account_id}/runs/{run_id}/", honours=("include_related",))
async def get_run(request: Request, account_id: int, run_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    include = choice_list_param(request.query_params, "include_related", RUN_RELATED)
    return envelope.success(one_run_json(state, find_run(state, account_id, run_id), include))


@route(router, "POST", "/api/v2/accounts/{account_id}/runs/{run_id}/cancel/")
async def cancel_run(request: Request, account_id: int, run_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    run = await state.engine.cancel(find_run(state, account_id, run_id))
    return envelope.success(one_run_json(state, run, {"trigger", "job"}))


@route(router, "POST", "/api/v2/accounts/{account_id}/runs/{run_id}/retry/")
async def retry_run(request: Request, account_id: int, run_id: int) -> JSONResponse:
    """Retry a failed run from its failed step: allowed for the job's latest run, as in dbt Cloud."""
    state = authorize(request, account_id)
    run = _retryable_run(state, account_id, run_id)
    job = state.jobs.get(run.job_id)
    assert job is not None
    return envelope.success(one_run_json(state, state.engine.rerun(job), {"trigger", "job"}))


# include_related on artifacts: dbt Cloud documents and accepts it (dbt-cloud-cli sends it); an artifact has
# no related objects, so it changes nothing.
@route(router, "GET", "/api/v2/accounts/{account_id}/runs/{run_id}/artifacts/", honours=("step", "include_related"))
async def list_artifacts(request: Request, account_id: int, run_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    run = find_run(state, account_id, run_id)
    step = _step_index(state, run, int_param(request.query_params, "step"))
    return envelope.success(state.files.list_artifacts(run.id, step) if step else [])


@route(router, "GET", "/api/v2/accounts/{account_id}/runs/{run_id}/retry/")
async def retry_details(request: Request, account_id: int, run_id: int) -> JSONResponse:
    """The failed step a retry would start from and the steps after it, which the failure skipped."""
    state = authorize(request, account_id)
    run = _retryable_run(state, account_id, run_id)
    failed = next(step for step in state.store.steps_of([run.id])[run.id] if step.status == RunStatus.ERROR)
    return envelope.success({"failed_step": failed.name,
                             "skipped_steps": [step.name for step in run.plan[failed.index:]]})


@route(router, "GET", "/api/v2/accounts/{account_id}/steps/{step_id}/", honours=("include_related",))
async def get_step(request: Request, account_id: int, step_id: int) -> JSONResponse:
    """One run step by its id (the run's id * 100 + its index, as `run_steps` of a run show it)."""
    state = authorize(request, account_id)
    include = choice_list_param(request.query_params, "include_related", ("trigger", "job", "debug_logs"))
    run = state.store.get_run(step_id // 100)
    step = None
    if run is not None and run.account_id == account_id:
        step = next((step for step in state.store.steps_of([run.id])[run.id] if step.index == step_id % 100), None)
    if run is None or step is None:
        raise ApiError(404, f"Run step {step_id} not found in account {account_id}; a run's steps and their ids are in "
                            f"GET /api/v2/accounts/{account_id}/runs/{{run_id}}/?include_related=run_steps.")
    return envelope.success({
        **run_step_json(state, run, step, "debug_logs" in include),
        # fields of the spec's RunStepResponse the emulator has nothing for
        "status_color": None, "run_step_command": None, "run_step_invocation": None,
    })


@route(router, "GET", "/api/v2/accounts/{account_id}/runs/{run_id}/artifacts/{path:path}",
       honours=("step", "include_related"))
async def get_artifact(request: Request, account_id: int, run_id: int, path: str) -> FileResponse:
    state = authorize(request, account_id)
    _check_artifact_path(path)
    run = find_run(state, account_id, run_id)
    step = _step_index(state, run, int_param(request.query_params, "step"))
    file = state.files.artifact(run.id, step, path) if step else None
    if file is None:
        where = f"step {step}" if step else "any step"
        raise ApiError(
            404, f"Artifact {path!r} not found for run {run.id} ({where}); list this run's artifacts with "
            f"GET /api/v2/accounts/{account_id}/runs/{run.id}/artifacts/?step=N."
        )
    return _artifact_response(file)


@route(router, "GET", "/api/v2/accounts/{account_id}/jobs/{job_id}/artifacts/{path:path}", honours=("include_related",))
async def get_job_artifact(request: Request, account_id: int, job_id: int, path: str) -> FileResponse:
    """The artifact of the job's latest run that has it (from that run's last step with artifacts)."""
    state = authorize(request, account_id)
    _check_artifact_path(path)
    job = jobs.find_job(state, account_id, job_id)
    offset = 0
    while True:
        found, total = state.store.list_runs(account_id, RunFilter(job_id=job.id), "-id", JOB_ARTIFACT_PAGE, offset)
        for run in found:
            step = _step_index(state, run, None) if run.artifacts_saved else None
            file = state.files.artifact(run.id, step, path) if step else None
            if file is not None:
                return _artifact_response(file)
        offset += JOB_ARTIFACT_PAGE
        if offset >= total:
            raise ApiError(404, f"No run of job {job.id} has the artifact {path!r}; list a run's artifacts with "
                                f"GET /api/v2/accounts/{account_id}/runs/{{run_id}}/artifacts/.")


def _check_artifact_path(path: str) -> None:
    try:
        check_relative(path)
    except UnsafeArtifactPath:
        raise ApiError(400, f"Artifact path {path!r} must be relative to the run's target/ folder, without '..'.") from None


def _artifact_response(file: Path) -> FileResponse:
    return FileResponse(file, media_type=MEDIA_TYPES.get(file.suffix, "application/octet-stream"))


# lookups


def find_run(state: EmulatorState, account_id: int, run_id: int) -> Run:
    run = state.store.get_run(run_id)
    if run is None or run.account_id != account_id:
        raise ApiError(
            404, f"Run {run_id} not found in account {account_id}; list runs with GET /api/v2/accounts/{account_id}/runs/."
        )
    return run


def _retryable_run(state: EmulatorState, account_id: int, run_id: int) -> Run:
    run = find_run(state, account_id, run_id)
    reason = state.engine.can_retry(run)
    if reason is not None:
        raise ApiError(400, f"Run {run.id} cannot be retried ({reason}): only a job's latest failed run, with the "
                            "run results of its failed step, can be; trigger the job instead.")
    return run


def _step_index(state: EmulatorState, run: Run, step: int | None) -> int | None:
    """The requested 1-based step (400 if the run has no such step), else the last step with artifacts."""
    steps = state.store.steps_of([run.id])[run.id]
    if step is not None:
        if not any(existing.index == step for existing in steps):
            raise ApiError(400, f"Run {run.id} has no step {step}; its steps are 1..{len(steps)}.")
        return step
    with_artifacts = [existing.index for existing in steps if existing.has_artifacts]
    return with_artifacts[-1] if with_artifacts else None


# wire shapes


def run_href(state: EmulatorState, run: Run) -> str:
    return f"{state.settings.effective_public_url}/deploy/{run.account_id}/projects/{run.project_id}/runs/{run.id}/"


def runs_json(state: EmulatorState, found: list[Run], include: set[str]) -> list[dict[str, Any]]:
    steps = state.store.steps_of(run.id for run in found) if "run_steps" in include else {}
    return [
        run_json(run, href=run_href(state, run), retry_reason=state.engine.can_retry(run),
                 related=_related(state, run, include, steps))
        for run in found
    ]


def one_run_json(state: EmulatorState, run: Run, include: set[str]) -> dict[str, Any]:
    return runs_json(state, [run], include)[0]


def _related(state: EmulatorState, run: Run, include: set[str], steps: dict[int, list[RunStep]]) -> dict[str, Any]:
    related: dict[str, Any] = {}
    if "trigger" in include:
        related["trigger"] = trigger_json(run)
    if "job" in include:
        job = state.jobs.get(run.job_id)
        related["job"] = jobs.job_json(state, job, in_run=True) if job else None
    if "environment" in include:
        related["environment"] = environment_view(state.tenant, state.tenant.environments[run.environment_id])
    if "run_steps" in include:
        related["run_steps"] = [run_step_json(state, run, step, "debug_logs" in include) for step in steps[run.id]]
    return related


def run_step_json(state: EmulatorState, run: Run, step: RunStep, full_debug_logs: bool) -> dict[str, Any]:
    files = state.files
    return step_json(
        step,
        logs=files.read_log(files.log_path(run.id, step.index)),
        debug_logs=files.read_log(files.debug_log_path(run.id, step.index), None if full_debug_logs else DEBUG_LOG_TAIL_LINES),
        log_path=str(files.log_path(run.id, step.index).relative_to(state.settings.state_dir)),
        debug_log_path=str(files.debug_log_path(run.id, step.index).relative_to(state.settings.state_dir)),
    )


def trigger_json(run: Run) -> dict[str, Any]:
    trigger = {field: run.trigger.get(field) for field in jobs.TRIGGER_FIELDS}
    return {
        "id": run.id, "account_id": run.account_id, "job_definition_id": run.job_id,
        "cause_category": run.trigger.get("cause_category", "api"), **trigger,
        "created_at": timestamp(run.created_at), "updated_at": timestamp(run.created_at),
    }


def step_json(step: RunStep, *, logs: str, debug_logs: str, log_path: str, debug_log_path: str) -> dict[str, Any]:
    end = step.finished_at or time.time()
    status = RunStatus(step.status)
    return {
        "id": step.run_id * 100 + step.index, "run_id": step.run_id, "account_id": step.account_id,
        "index": step.index, "name": step.name, "status": step.status, "status_humanized": status.humanized,
        "status_message": step.status_message, "logs": logs, "debug_logs": debug_logs, "log_path": log_path,
        "debug_log_path": debug_log_path, "log_location": "emulator", "truncated_debug_logs": None,
        "created_at": timestamp(step.started_at), "updated_at": timestamp(end),
        "started_at": timestamp(step.started_at), "finished_at": timestamp(step.finished_at),
        "duration": duration(end - step.started_at), "duration_humanized": humanized_duration(end - step.started_at),
    }
def run_json(run: Run, *, href: str, retry_reason: str | None, related: dict[str, Any]) -> dict[str, Any]:
    """A run; `related` holds the include_related objects that were asked for (others are null or [])."""
    now = time.time()
    status = RunStatus(run.status)
    end = run.finished_at or now
    queued_until = run.dequeued_at or end
    run_seconds = end - run.started_at if run.started_at else 0.0
    data: dict[str, Any] = {
        "id": run.id, "trigger_id": run.id, "account_id": run.account_id, "environment_id": run.environment_id,
        "project_id": run.project_id, "job_definition_id": run.job_id, "job_id": run.job_id,
        "status": run.status, "status_humanized": status.humanized, "status_message": run.status_message,
        "dbt_version": run.dbt_version, "git_branch": run.git_branch, "git_sha": run.git_sha,
        "owner_thread_id": None, "executed_by_thread_id": "emulator", "deferring_run_id": None,
        "artifacts_saved": run.artifacts_saved, "artifact_s3_path": None,
        "has_docs_generated": run.has_docs_generated, "has_sources_generated": False, "notifications_sent": True,
        "blocked_by": [], "created_at": timestamp(run.created_at), "updated_at": timestamp(run.updated_at),
        "dequeued_at": timestamp(run.dequeued_at), "started_at": timestamp(run.started_at),
        "finished_at": timestamp(run.finished_at), "last_checked_at": timestamp(run.updated_at),
        "last_heartbeat_at": timestamp(run.updated_at), "should_start_at": None,
        "in_progress": not status.is_terminal, "is_complete": status.is_terminal,
        "is_success": status == RunStatus.SUCCESS, "is_error": status == RunStatus.ERROR,
        "is_cancelled": status == RunStatus.CANCELLED, "is_running": status == RunStatus.RUNNING,
        "duration": duration(end - run.created_at), "duration_humanized": humanized_duration(end - run.created_at),
        "queued_duration": duration(queued_until - run.created_at),
        "queued_duration_humanized": humanized_duration(queued_until - run.created_at),
        "run_duration": duration(run_seconds), "run_duration_humanized": humanized_duration(run_seconds),
        "created_at_humanized": humanized_ago(run.created_at), "finished_at_humanized": humanized_ago(run.finished_at),
        "retrying_run_id": run.retrying_run_id, "can_retry": retry_reason is None,
        "retry_not_supported_reason": retry_reason, "href": href, "used_repo_cache": False,
    }
    for name in RUN_RELATED:
        if name != "debug_logs":
            data[name] = related.get(name, [] if name in _RELATED_EMPTY_LISTS else None)
    return data
