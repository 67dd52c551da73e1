"""Executes one run's plan step by step, recording steps, logs and artifacts in the store."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dbt_cloud_emulator.engine import workspace as ws
from dbt_cloud_emulator.engine.dbt_process import run_dbt
from dbt_cloud_emulator.engine.special_variables import special_variables
from dbt_cloud_emulator.engine.statuses import RunStatus
from dbt_cloud_emulator.settings import Settings
from dbt_cloud_emulator.store import JobStore, Run, RunFiles, RunStore
from dbt_cloud_emulator.store.files import ARTIFACT_FILES, ARTIFACT_FOLDERS
from dbt_cloud_emulator.store.records import PlannedStep
from dbt_cloud_emulator.tenant import Tenant

if TYPE_CHECKING:
    from dbt_cloud_emulator.scenarios import Scenario


class StepFailed(Exception):
    """A step ended in error; the message becomes the run's status_message."""


class RunExecutor:
    def __init__(self, settings: Settings, tenant: Tenant, store: RunStore, files: RunFiles, jobs: JobStore) -> None:
        self._settings = settings
        self._jobs = jobs
        self._tenant = tenant
        self._store = store
        self._files = files

    async def execute(self, run: Run, scenario: Scenario) -> RunStatus:
        """Run every planned step (the run slot, if any, is already held) and return the final status.

        Cancellation (a user cancel, a timeout, a shutdown) propagates with the current step still
        running; the caller records the run's and that step's final state.
        """
        now = time.time()
        self._store.update_run(run.id, status=RunStatus.STARTING, dequeued_at=now, started_at=now)
        try:
            for index, step in enumerate(run.plan, start=1):
                if step.kind in ("dbt", "wait") and index == _first_running_step(run):
                    self._store.update_run(run.id, status=RunStatus.RUNNING)
                self._store.add_step(run, index, step.name, RunStatus.RUNNING)
                try:
                    await self._execute_step(run, index, step, scenario)
                except StepFailed as failure:
                    self._finish_step(run.id, index, RunStatus.ERROR, str(failure))
                    self._finish_run(run.id, RunStatus.ERROR, f"{step.name} failed: {failure}")
                    return RunStatus.ERROR
                self._finish_step(run.id, index, RunStatus.SUCCESS, None)
            self._finish_run(run.id, RunStatus.SUCCESS, None)
            return RunStatus.SUCCESS
        finally:
            self._files.remove_workspaces([run.id])

    def _finish_step(self, run_id: int, index: int, status: RunStatus, message: str | None) -> None:
        self._store.update_step(run_id, index, status=status, status_message=message, finished_at=time.time())

    def _finish_run(self, run_id: int, status: RunStatus, message: str | None) -> None:
        self._store.update_run(run_id, status=status, status_message=message, finished_at=time.time())

    async def _execute_step(self, run: Run, index: int, step: PlannedStep, scenario: Scenario) -> None:
        log_path = self._files.log_path(run.id, index)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        workspace = self._files.workspace(run.id)
        if step.kind == "wait":
            _log(log_path, f"Synthetic job: waiting {self._settings.synthetic_seconds:g} seconds or until released (no dbt).")
            failure = await scenario.wait(run.id)
            if failure is not None:
                raise StepFailed(failure)
        elif step.kind == "clone":
            await asyncio.to_thread(ws.clone_project, self._settings.project_dir, workspace)
            _log(log_path, f"Cloned {self._settings.project_dir} (branch {run.git_branch}, sha {run.git_sha}).")
        elif step.kind == "profile":
            environment = self._tenant.environments[run.environment_id]
            job = self._jobs.get(run.job_id)
            assert job is not None
            trigger = run.trigger
            text = ws.write_profile(
                workspace,
                target=trigger.get("target_name_override") or job.target_name,
                threads=trigger.get("threads_override") or job.threads,
                schema=trigger.get("schema_override") or environment.schema,
                warehouse_dir=self._settings.warehouse_dir,
            )
            _log(log_path, "Wrote profiles.yml:\n" + text)
        else:
            await self._run_dbt_step(run, index, step, workspace, scenario)

    async def _run_dbt_step(self, run: Run, index: int, step: PlannedStep, workspace: Path, scenario: Scenario) -> None:
        assert step.command is not None
        argv = shlex.split(step.command)
        argv[0] = str(self._settings.dbt_executable)
        argv.append("--no-use-colors")
        if step.retry_of is not None:
            failed_run_id, failed_index = step.retry_of
            argv += ["--state", str(self._files.artifacts_dir(failed_run_id, failed_index))]
        target = workspace / "target"
        for stale in (*ARTIFACT_FILES, *ARTIFACT_FOLDERS):  # so the step's artifacts are its own
            path = target / stale
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        env = {
            **_base_environment(),
            "DO_NOT_TRACK": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_PROFILES_DIR": str(workspace),
            "DBT_LOG_PATH": str(self._files.step_dir(run.id, index)),
            "WAREHOUSE_DIR": str(self._settings.warehouse_dir),
            **self._jobs.variable_values(run.project_id, run.environment_id, run.job_id),
            **special_variables(run, self._tenant.environments[run.environment_id]),
            **scenario.dbt_environment(),
        }
        log_path = self._files.log_path(run.id, index)
        try:
            exit_code = await run_dbt(argv, cwd=workspace, env=env, log_path=log_path)
        finally:
            if await asyncio.to_thread(self._files.save_artifacts, run.id, index, target):
                self._store.update_step(run.id, index, has_artifacts=1)
                self._store.update_run(run.id, artifacts_saved=1)
        if exit_code != 0:
            raise StepFailed(_failure_summary(target / "run_results.json", exit_code, log_path))
        if step.command.startswith("dbt docs generate"):
            self._store.update_run(run.id, has_docs_generated=1)


def _first_running_step(run: Run) -> int:
    """Index of the first step that runs dbt (or waits): from there the run is Running, before it Starting."""
    return next(i for i, step in enumerate(run.plan, start=1) if step.kind in ("dbt", "wait"))


def _base_environment() -> dict[str, str]:
    """The emulator's environment minus its own settings (dbt needs PATH, HOME, locale; not our knobs)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("DBT_CLOUD_EMULATOR_")}


def _log(path: Path, text: str) -> None:
    with path.open("a") as log:
        log.write(text.rstrip("\n") + "\n")


def _failure_summary(run_results: Path, exit_code: int, log_path: Path) -> str:
    """The failing nodes and their messages from run_results.json, else dbt's last words (e.g. a CLI error)."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError):
        try:
            last_lines = [line.strip() for line in log_path.read_text(errors="replace").splitlines() if line.strip()][-3:]
        except OSError:
            last_lines = []
        return f"dbt exited with code {exit_code}" + (": " + " ".join(last_lines) if last_lines else ".")
    failures = [
        f"{result['unique_id']}: {(result.get('message') or result['status']).strip()}"
        for result in results
        if result.get("status") in ("error", "fail", "runtime error")
    ]
    if not failures:
        return f"dbt exited with code {exit_code}."
    return f"dbt exited with code {exit_code}; {len(failures)} failed node(s): " + " | ".join(failures)
