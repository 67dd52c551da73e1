"""Wire shapes of accounts, projects, environments, jobs, runs, run steps and triggers."""

from __future__ import annotations

import time
from typing import Any

from dbt_cloud_emulator.api.timefmt import duration, humanized_ago, humanized_duration, timestamp
from dbt_cloud_emulator.engine import RunStatus
from dbt_cloud_emulator.store import Run, RunStep
from dbt_cloud_emulator.tenant import Account, Environment, Job, Project

# The tenant is declared, not created: one fixed creation time keeps its objects stable.
TENANT_CREATED_AT = "2024-01-01 00:00:00+00:00"
RUN_RELATED = (
    "trigger", "job", "environment", "repository", "run_steps", "run_retries", "used_repo_cache",
    "repo_cache_restore", "audit", "debug_logs",
)
_RELATED_EMPTY_LISTS = ("run_steps", "run_retries")
TRIGGER_FIELDS = (
    "cause", "git_sha", "git_branch", "azure_pull_request_id", "github_pull_request_id", "gitlab_merge_request_id",
    "non_native_pull_request_id", "schema_override", "dbt_version_override", "threads_override",
    "target_name_override", "generate_docs_override", "timeout_seconds_override", "steps_override",
)


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id, "name": account.name, "state": 1, "plan": "enterprise", "pending_cancel": False,
        "run_slots": 1, "developer_seats": 1, "read_only_seats": 0, "analyst_seats": 0, "explorer_seats": 0,
        "it_seats": 0, "locked": False, "lock_reason": None, "lock_cause": None, "unlocked_at": None,
        "run_locked_until": None, "copilot_locked_until": None, "agent_credit_locked": False,
        "business_critical": False, "billing_email_address": None, "enterprise_login_slug": None,
        "identifier": f"emulator{account.id}", "git_auth_level": "team", "groups": [], "queue_limit": 50,
        "run_duration_limit_seconds": 86400, "pod_memory_request_mebibytes": None,
        "develop_pod_memory_request_mebibytes": None, "starter_repo_url": None, "static_subdomain": None,
        "vanity_subdomain": None, "trial_end_date": None, "account_migration_events": [],
        "docs_job_id": None, "freshness_job_id": None, "created_at": TENANT_CREATED_AT, "updated_at": TENANT_CREATED_AT,
    }


def connection_json(project: Project) -> dict[str, Any]:
    # dbt Cloud has no DuckDB connection type; "duckdb" says honestly what the emulator runs on.
    return {
        "id": project.id, "account_id": project.account_id, "project_id": project.id, "name": "DuckDB (emulator)",
        "type": "duckdb", "adapter_version": "duckdb_v0", "state": 1, "created_at": TENANT_CREATED_AT,
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


def environment_json(environment: Environment, dbt_version: str, project: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": environment.id, "account_id": environment.account_id, "project_id": environment.project_id,
        "name": environment.name, "type": "deployment", "deployment_type": environment.deployment_type,
        "dbt_version": dbt_version, "raw_dbt_version": dbt_version, "state": 1, "use_custom_branch": False,
        "custom_branch": None, "credentials_id": None, "credentials": None, "connection_id": environment.project_id,
        "supports_docs": True, "is_deferrable": False, "project": project, "fusion_readiness": None,
        "created_at": TENANT_CREATED_AT, "updated_at": TENANT_CREATED_AT,
    }


def job_json(
    job: Job, *, account: dict[str, Any], project: dict[str, Any], environment: dict[str, Any], in_run: bool = False
) -> dict[str, Any]:
    """A job as the jobs endpoints return it, or (in_run) as nested in a run, whose schedule is flat."""
    if in_run:
        schedule = {"cron": "0 * * * *", "date": "every_day", "time": "every_hour"}
    else:
        schedule = {"cron": "0 * * * *", "date": {"type": "every_day"}, "time": {"type": "every_hour", "interval": 1}}
    return {
        "id": job.id, "account_id": job.account_id, "project_id": job.project_id,
        "environment_id": job.environment_id, "name": job.name, "description": job.description,
        "dbt_version": None, "raw_dbt_version": None, "deferring_environment_id": None,
        "deferring_job_definition_id": None, "execute_steps": list(job.execute_steps),
        "execution": {"timeout_seconds": job.timeout_seconds}, "generate_docs": job.generate_docs,
        "run_generate_sources": False, "generate_sources": False, "job_type": "other",
        "settings": {"threads": job.threads, "target_name": job.target_name}, "state": 1,
        "triggers": {
            "github_webhook": False, "schedule": False, "git_provider_webhook": False, "on_merge": False,
            "custom_branch_only": False,
        },
        "schedule": schedule,
        "triggers_on_draft_pr": False, "lifecycle_webhooks": False, "lifecycle_webhooks_url": None,
        "is_deferrable": False, "run_failure_count": 0, "run_compare_changes": False, "run_lint": False,
        "errors_on_lint_failure": True, "job_completion_trigger_condition": None, "fusion_readiness": None,
        "account": account, "project": project, "environment": environment,
        "created_at": TENANT_CREATED_AT, "updated_at": TENANT_CREATED_AT,
    }


def trigger_json(run: Run) -> dict[str, Any]:
    trigger = {field: run.trigger.get(field) for field in TRIGGER_FIELDS}
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
