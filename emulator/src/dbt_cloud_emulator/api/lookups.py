"""Find tenant objects and runs for an account, or answer 404 saying how to list what exists."""

from __future__ import annotations

from dbt_cloud_emulator.api.envelope import ApiError
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.store import Run
from dbt_cloud_emulator.tenant import Environment, Job, Project


def find_project(state: EmulatorState, account_id: int, project_id: int) -> Project:
    project = state.tenant.projects.get(project_id)
    if project is None or project.account_id != account_id:
        raise ApiError(
            404, f"Project {project_id} not found in account {account_id}; "
            f"list projects with GET /api/v3/accounts/{account_id}/projects/."
        )
    return project


def find_environment(state: EmulatorState, account_id: int, project_id: int, environment_id: int) -> Environment:
    find_project(state, account_id, project_id)
    environment = state.tenant.environments.get(environment_id)
    if environment is None or environment.project_id != project_id:
        raise ApiError(
            404, f"Environment {environment_id} not found in project {project_id}; list environments with "
            f"GET /api/v3/accounts/{account_id}/projects/{project_id}/environments/."
        )
    return environment


def find_job(state: EmulatorState, account_id: int, job_id: int) -> Job:
    job = state.tenant.jobs.get(job_id)
    if job is None or job.account_id != account_id:
        raise ApiError(
            404, f"Job {job_id} not found in account {account_id}; list jobs with GET /api/v2/accounts/{account_id}/jobs/."
        )
    return job


def find_run(state: EmulatorState, account_id: int, run_id: int) -> Run:
    run = state.store.get_run(run_id)
    if run is None or run.account_id != account_id:
        raise ApiError(
            404, f"Run {run_id} not found in account {account_id}; list runs with GET /api/v2/accounts/{account_id}/runs/."
        )
    return run
