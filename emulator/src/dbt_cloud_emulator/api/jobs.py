"""v2 jobs: list, get (with include_related), create, update, delete, trigger a run, rerun from failure."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope, runs
from dbt_cloud_emulator.api.accounts import account_json
from dbt_cloud_emulator.api.auth import authorize
from dbt_cloud_emulator.api.envelope import (
    COMMON_FILTERS, ApiError, bool_param, choice_list_param, int_list_param, int_param, json_object, page_of, route,
    str_list_param, value_and_list,
)
from dbt_cloud_emulator.api.projects import environment_json, project_json
from dbt_cloud_emulator.api.timefmt import timestamp
from dbt_cloud_emulator.engine import RunStatus
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.store import Job, JobFilter, RunFilter

router = APIRouter()
ORDERABLE = ("id", "name", "created_at", "updated_at")
JOB_RELATED = ("environment", "custom_environment_variables", "most_recent_run", "most_recent_completed_run",
               "fusion_readiness")
# A job's writable fields with dbt Cloud's defaults; a create or update body sets any of them, and
# fields outside this list are ignored, as dbt Cloud ignores them.
DEFINITION_DEFAULTS: dict[str, Any] = {
    "name": "", "description": "", "dbt_version": None, "execute_steps": [], "execution": {"timeout_seconds": 0},
    "generate_docs": False, "run_generate_sources": False, "job_type": "other", "lifecycle_webhooks": False,
    "run_compare_changes": False, "compare_changes_flags": "--select state:modified", "run_lint": False,
    "errors_on_lint_failure": True, "cost_optimization_features": [], "settings": {"threads": 4, "target_name": "default"},
    "state": 1, "triggers_on_draft_pr": False,
    "triggers": {"github_webhook": False, "schedule": False, "git_provider_webhook": False, "on_merge": False,
                 "custom_branch_only": False},
    "schedule": {"cron": "0 * * * *", "date": {"type": "every_day"}, "time": {"type": "every_hour", "interval": 1}},
    "deferring_environment_id": None, "deferring_job_definition_id": None, "job_completion_trigger_condition": None,
}
TRIGGER_FIELDS = (
    "cause", "git_sha", "git_branch", "azure_pull_request_id", "github_pull_request_id", "gitlab_merge_request_id",
    "non_native_pull_request_id", "schema_override", "dbt_version_override", "threads_override",
    "target_name_override", "generate_docs_override", "timeout_seconds_override", "steps_override",
)
MAX_CAUSE_LENGTH = 255
_INT_TRIGGER_FIELDS = (
    "azure_pull_request_id", "github_pull_request_id", "gitlab_merge_request_id", "threads_override",
    "timeout_seconds_override",
)
_STR_TRIGGER_FIELDS = (
    "git_sha", "git_branch", "schema_override", "dbt_version_override", "target_name_override",
    "non_native_pull_request_id",
)


@route(router, "GET", "/api/v2/accounts/{account_id}/jobs/", honours=(
    *COMMON_FILTERS, "project_id", "project_id__in", "environment_id", "dbt_version__in", "is_fusion_ready", "is_system",
    "triggers_schedule", "include_related"))
async def list_jobs(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    query = request.query_params
    include = choice_list_param(query, "include_related", JOB_RELATED)
    filters = {
        "project_id": int_param(query, "project_id"),
        "project_id__in": int_list_param(query, "project_id__in"),
        "environment_id": int_param(query, "environment_id"),
        "dbt_version__in": str_list_param(query, "dbt_version__in"),
        "is_fusion_ready": bool_param(query, "is_fusion_ready"),
        "is_system": bool_param(query, "is_system"),
        "triggers_schedule": bool_param(query, "triggers_schedule"),
    }
    job_filter = JobFilter(
        project_ids=value_and_list(filters["project_id"], filters["project_id__in"]),
        environment_id=filters["environment_id"],
        dbt_versions=value_and_list(None, filters["dbt_version__in"]),
        triggers_schedule=filters["triggers_schedule"],
        # emulated jobs are never system jobs, and have no fusion readiness (null): all "not ready"
        match_none=bool(filters["is_system"]) or bool(filters["is_fusion_ready"]),
    )
    return page_of(request, account_id, state.jobs.matching(account_id, job_filter), ORDERABLE,
                   lambda job: job_json(state, job, include=include),
                   filters={**{name: value for name, value in filters.items() if value is not None},
                            "include_related": sorted(include) or None})


@route(router, "POST", "/api/v2/accounts/{account_id}/jobs/")
async def create_job(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    body = await json_object(request)
    project_id, environment_id = _placement(state, account_id, body, None)
    definition = job_definition(body)
    job = state.jobs.create(account_id=account_id, project_id=project_id, environment_id=environment_id,
                            definition=definition)
    return envelope.success(job_json(state, job))


@route(router, "GET", "/api/v2/accounts/{account_id}/jobs/{job_id}/", honours=("include_related",))
async def get_job(request: Request, account_id: int, job_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    include = choice_list_param(request.query_params, "include_related", JOB_RELATED)
    return envelope.success(job_json(state, find_job(state, account_id, job_id), include=include))


@route(router, "POST", "/api/v2/accounts/{account_id}/jobs/{job_id}/")
@route(router, "PUT", "/api/v2/accounts/{account_id}/jobs/{job_id}/")
async def update_job(request: Request, account_id: int, job_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    job = find_job(state, account_id, job_id)
    body = await json_object(request)
    project_id, environment_id = _placement(state, account_id, body, job)
    updated = state.jobs.update(job.id, project_id=project_id, environment_id=environment_id,
                                definition=job_definition(body, job.definition))
    return envelope.success(job_json(state, updated))


@route(router, "DELETE", "/api/v2/accounts/{account_id}/jobs/{job_id}/")
async def delete_job(request: Request, account_id: int, job_id: int) -> JSONResponse:
    """The deleted job (state 2) in the envelope: dbt-cloud-cli reads the answer as JSON (the spec says 204)."""
    state = authorize(request, account_id)
    job = find_job(state, account_id, job_id)
    state.jobs.delete(job.id)
    deleted = state.jobs.get(job.id)
    assert deleted is not None
    return envelope.success(job_json(state, deleted))


@route(router, "POST", "/api/v2/accounts/{account_id}/jobs/{job_id}/run/")
async def trigger_run(request: Request, account_id: int, job_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    job = find_job(state, account_id, job_id)
    body = parse_trigger_body(await json_object(request))
    run = state.engine.trigger(job, body)
    return envelope.success(runs.one_run_json(state, run, {"trigger", "job"}))


@route(router, "POST", "/api/v2/accounts/{account_id}/jobs/{job_id}/rerun/")
async def rerun(request: Request, account_id: int, job_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    run = state.engine.rerun(find_job(state, account_id, job_id))
    return envelope.success(runs.one_run_json(state, run, {"trigger", "job"}))


# lookups and request bodies


def find_job(state: EmulatorState, account_id: int, job_id: int) -> Job:
    job = state.jobs.get(job_id)
    if job is None or job.account_id != account_id or job.state != 1:
        raise ApiError(
            404, f"Job {job_id} not found in account {account_id}; list jobs with GET /api/v2/accounts/{account_id}/jobs/."
        )
    return job


def job_definition(body: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The job's writable fields: `base` (or dbt Cloud's defaults) with the body's known fields laid over it."""
    definition = copy.deepcopy(DEFINITION_DEFAULTS if base is None else {**DEFINITION_DEFAULTS, **base})
    for name, default in DEFINITION_DEFAULTS.items():
        if name not in body:
            continue
        value = body[name]
        if isinstance(default, dict) and isinstance(value, dict):
            value = {**definition[name], **value}
        elif isinstance(default, dict) and value is None:
            value = copy.deepcopy(default)
        definition[name] = value
    _check_definition(definition)
    return definition


def _check_definition(definition: dict[str, Any]) -> None:
    """Only what dbt Cloud documents and a run needs: a name, dbt commands, whole threads and timeout."""
    if not isinstance(definition["name"], str) or not definition["name"].strip():
        raise ApiError(400, "name is required: a non-empty string.")
    steps = definition["execute_steps"]
    if not isinstance(steps, list) or any(not isinstance(step, str) or not step.strip().startswith("dbt ") for step in steps):
        raise ApiError(400, f"execute_steps must be a list of dbt commands such as 'dbt build'; got {steps!r}.")
    threads = definition["settings"].get("threads")
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ApiError(400, f"settings.threads must be a whole number of at least 1, got {threads!r}.")
    timeout = definition["execution"].get("timeout_seconds")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
        raise ApiError(400, f"execution.timeout_seconds must be a whole number of seconds (0: none), got {timeout!r}.")


def _placement(state: EmulatorState, account_id: int, body: dict[str, Any], job: Job | None) -> tuple[int, int]:
    """(project id, environment id) from the body, else the job's: the environment must be in the account."""
    raw_environment = body.get("environment_id", job.environment_id if job else None)
    try:
        environment_id = int(raw_environment)
    except (TypeError, ValueError):
        raise ApiError(400, f"environment_id is required: the id of an environment in account {account_id}; "
                            f"list them with GET /api/v3/accounts/{account_id}/environments/.") from None
    environment = state.tenant.environments.get(environment_id)
    if environment is None or environment.account_id != account_id:
        raise ApiError(400, f"Environment {environment_id} is not in account {account_id}; "
                            f"list environments with GET /api/v3/accounts/{account_id}/environments/.")
    project_id = body.get("project_id")
    if project_id is not None and str(project_id) != str(environment.project_id):
        raise ApiError(400, f"Environment {environment_id} belongs to project {environment.project_id}, not {project_id}.")
    return environment.project_id, environment.id


def parse_trigger_body(body: dict[str, Any]) -> dict[str, Any]:
    """The trigger fields dbt Cloud knows, checked as its API documents them; other fields are ignored
    (dbt-cloud-cli sends account_id and job_id)."""
    body = {name: body[name] for name in TRIGGER_FIELDS if name in body}
    cause = body.get("cause")
    if not isinstance(cause, str) or not cause.strip():
        raise ApiError(400, "cause is required: a non-empty string saying why the job runs.")
    if len(cause) > MAX_CAUSE_LENGTH:
        raise ApiError(400, f"cause must be at most {MAX_CAUSE_LENGTH} characters, got {len(cause)}.")
    for name in _INT_TRIGGER_FIELDS:
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ApiError(400, f"{name} must be a non-negative integer or null, got {value!r}.")
    if body.get("threads_override") == 0:
        raise ApiError(400, "threads_override must be at least 1.")
    for name in _STR_TRIGGER_FIELDS:
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ApiError(400, f"{name} must be a non-empty string or null, got {value!r}.")
    docs = body.get("generate_docs_override")
    if docs is not None and not isinstance(docs, bool):
        raise ApiError(400, f"generate_docs_override must be true, false or null, got {docs!r}.")
    steps = body.get("steps_override")
    if steps is not None:
        if not isinstance(steps, list) or not steps:
            raise ApiError(400, "steps_override must be a non-empty list of dbt commands or null.")
        bad = [step for step in steps if not isinstance(step, str) or not step.strip().startswith("dbt ")]
        if bad:
            raise ApiError(400, f"steps_override entries must be dbt commands such as 'dbt build --select tag:daily'; got {bad!r}.")
        body["steps_override"] = [step.strip() for step in steps]
    return body


# wire shapes


def job_json(state: EmulatorState, job: Job, *, in_run: bool = False, include: set[str] = frozenset()) -> dict[str, Any]:
    """A job as the jobs endpoints return it, or (in_run) as nested in a run, whose schedule is flat."""
    tenant = state.tenant
    definition = {**DEFINITION_DEFAULTS, **job.definition}
    schedule = definition["schedule"] or DEFINITION_DEFAULTS["schedule"]
    if in_run:
        schedule = {"cron": schedule.get("cron"), "date": (schedule.get("date") or {}).get("type"),
                    "time": (schedule.get("time") or {}).get("type")}
    data = {
        **definition,
        "id": job.id, "account_id": job.account_id, "project_id": job.project_id,
        "environment_id": job.environment_id, "name": job.name, "state": job.state, "schedule": schedule,
        "raw_dbt_version": definition["dbt_version"], "generate_sources": False, "is_deferrable": False,
        "run_failure_count": 0, "lifecycle_webhooks_url": None, "deactivated": job.state != 1, "is_system": False,
        "cron_humanized": f"cron {schedule.get('cron')}", "next_run": None, "next_run_humanized": None,
        "fusion_readiness": None,
        "account": account_json(tenant.accounts[job.account_id]),
        "project": project_json(tenant.projects[job.project_id]),
        "environment": environment_json(tenant.environments[job.environment_id], None),
        "created_at": timestamp(job.created_at), "updated_at": timestamp(job.updated_at),
    }
    if "custom_environment_variables" in include:
        data["custom_environment_variables"] = [
            {"id": v.id, "name": v.name, "type": v.type, "value": v.value, "job_definition_id": v.job_definition_id}
            for v in state.jobs.variables(job.project_id) if v.type == "job" and v.job_definition_id == job.id
        ]
    if "most_recent_run" in include:
        data["most_recent_run"] = _most_recent(state, job, None)
    if "most_recent_completed_run" in include:
        data["most_recent_completed_run"] = _most_recent(state, job, (RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.CANCELLED))
    return data


def _most_recent(state: EmulatorState, job: Job, statuses: tuple[int, ...] | None) -> dict[str, Any] | None:
    found, _ = state.store.list_runs(job.account_id, RunFilter(job_id=job.id, statuses=statuses), "-id", 1, 0)
    return runs.one_run_json(state, found[0], set()) if found else None
