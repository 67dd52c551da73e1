"""Runs as the API returns them: the run plus the include_related objects that were asked for."""

from __future__ import annotations

from typing import Any

from dbt_cloud_emulator.api.serializers import run_json, step_json, trigger_json
from dbt_cloud_emulator.api.tenant_views import environment_view, job_view
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.store import Run

# Without include_related=debug_logs dbt Cloud truncates each step's debug logs to their last 1,000 lines.
DEBUG_LOG_TAIL_LINES = 1000


def run_href(state: EmulatorState, run: Run) -> str:
    return f"{state.settings.effective_public_url}/deploy/{run.account_id}/projects/{run.project_id}/runs/{run.id}/"


def runs_json(state: EmulatorState, runs: list[Run], include: set[str]) -> list[dict[str, Any]]:
    steps = state.store.steps_of(run.id for run in runs) if "run_steps" in include else {}
    return [
        run_json(run, href=run_href(state, run), retry_reason=state.engine.can_retry(run), related=_related(state, run, include, steps))
        for run in runs
    ]


def one_run_json(state: EmulatorState, run: Run, include: set[str]) -> dict[str, Any]:
    return runs_json(state, [run], include)[0]


def _related(state: EmulatorState, run: Run, include: set[str], steps: dict) -> dict[str, Any]:
    related: dict[str, Any] = {}
    if "trigger" in include:
        related["trigger"] = trigger_json(run)
    if "job" in include:
        related["job"] = job_view(state.tenant, state.tenant.jobs[run.job_id], in_run=True)
    if "environment" in include:
        related["environment"] = environment_view(state.tenant, state.tenant.environments[run.environment_id])
    if "run_steps" in include:
        files = state.files
        tail = None if "debug_logs" in include else DEBUG_LOG_TAIL_LINES
        related["run_steps"] = [
            step_json(
                step,
                logs=files.read_log(files.log_path(run.id, step.index)),
                debug_logs=files.read_log(files.debug_log_path(run.id, step.index), tail),
                log_path=str(files.log_path(run.id, step.index).relative_to(state.settings.state_dir)),
                debug_log_path=str(files.debug_log_path(run.id, step.index).relative_to(state.settings.state_dir)),
            )
            for step in steps[run.id]
        ]
    return related
