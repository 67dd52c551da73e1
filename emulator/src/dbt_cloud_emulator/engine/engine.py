"""RunEngine: creates runs, queues them on the run slots, cancels, reruns, and recovers after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from importlib.metadata import version
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dbt_cloud_emulator.engine import plan as plans
from dbt_cloud_emulator.engine.executor import RunExecutor
from dbt_cloud_emulator.engine.statuses import RunStatus
from dbt_cloud_emulator.engine.warehouse import prepare_warehouse
from dbt_cloud_emulator.engine.workspace import project_digest
from dbt_cloud_emulator.settings import Settings
from dbt_cloud_emulator.store import Job, JobStore, Run, RunFiles, RunStore
from dbt_cloud_emulator.tenant import Tenant

if TYPE_CHECKING:
    from dbt_cloud_emulator.scenarios import Scenario

log = logging.getLogger(__name__)

RESTART_MESSAGE = (
    "The emulator stopped while this run was in progress, so its dbt process was lost; trigger the job again."
)
CANCEL_WAIT_SECONDS = 15.0


class RunEngine:
    def __init__(self, settings: Settings, tenant: Tenant, store: RunStore, files: RunFiles, jobs: JobStore,
                 scenario_of: Callable[[int], Scenario]) -> None:
        self._settings = settings
        self._store = store
        self._files = files
        self._jobs = jobs
        # The one hook into the demo scenarios (scenarios.py): how a job's runs differ from a plain job's.
        self._scenario_of = scenario_of
        self._executor = RunExecutor(settings, tenant, store, files, jobs)
        # dbt runs share one DuckDB file (one writer): like dbt Cloud's run slots, extra runs wait queued.
        self._slots = asyncio.Semaphore(settings.run_slots)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._cancel_requested: set[int] = set()
        self._dbt_version = version("dbt-core")
        self._git_sha = project_digest(settings.project_dir)

    # lifecycle

    def start(self) -> None:
        """Prepare the warehouse and recover runs a previous process left unfinished."""
        prepare_warehouse(self._settings.warehouse_dir, self._settings.project_dir)
        interrupted = self._store.runs_in_status([RunStatus.STARTING, RunStatus.RUNNING])
        for run in interrupted:
            self._end(run.id, RunStatus.ERROR, RESTART_MESSAGE)
        self._files.remove_workspaces(run.id for run in interrupted)
        # A queued run had not started: it has no side effects yet, so it simply waits for a slot again.
        for run in self._store.runs_in_status([RunStatus.QUEUED]):
            self._submit(run)
        if interrupted:
            log.warning("Marked %d interrupted run(s) as errored after a restart.", len(interrupted))

    async def stop(self) -> None:
        """Stop every run task; in-flight runs end as errored (like a crash), queued ones stay queued."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # API-facing operations

    def trigger(self, job: Job, body: dict[str, Any]) -> Run:
        trigger = {"cause": body["cause"], "cause_category": "api", "job_definition_id": job.id, **body}
        run = self._store.create_run(
            account_id=job.account_id,
            project_id=job.project_id,
            environment_id=job.environment_id,
            job_id=job.id,
            dbt_version=body.get("dbt_version_override") or self._dbt_version,
            git_branch=body.get("git_branch") or "main",
            git_sha=body.get("git_sha") or self._git_sha,
            trigger=trigger,
            plan=self._scenario_of(job.id).plan(
                plans.plan_for_trigger(job, body.get("steps_override"), body.get("generate_docs_override"))
            ),
        )
        self._submit(run)
        return run

    def rerun(self, job: Job) -> Run:
        """dbt Cloud's "retry failed job": from the failed step if the latest run failed, else a new run."""
        latest = self._store.latest_run_of_job(job.id)
        if latest is not None and latest.status == RunStatus.ERROR:
            retry = self._retry_plan(latest)
            if retry is not None:
                run = self._store.create_run(
                    account_id=latest.account_id,
                    project_id=latest.project_id,
                    environment_id=latest.environment_id,
                    job_id=job.id,
                    dbt_version=latest.dbt_version,
                    git_branch=latest.git_branch,
                    git_sha=latest.git_sha,
                    trigger={**latest.trigger, "cause": f"Retry of run {latest.id} from its failed step",
                             "cause_category": "rerun"},
                    plan=retry,
                    retrying_run_id=latest.id,
                )
                self._submit(run)
                return run
        cause = "Rerun requested; the latest run had not failed, so the job runs anew"
        return self.trigger(job, {"cause": cause})

    def can_retry(self, run: Run) -> str | None:
        """None if `run` can be retried from failure, else dbt Cloud's retry_not_supported_reason."""
        if run.status != RunStatus.ERROR:
            return "RETRY_NOT_FAILED_RUN"
        latest = self._store.latest_run_of_job(run.job_id)
        if latest is not None and latest.id != run.id:
            return "RETRY_NOT_LATEST_RUN"
        return None if self._retry_plan(run) is not None else "RETRY_NO_RUN_RESULTS"

    async def cancel(self, run: Run) -> Run:
        """Cancel a queued or in-progress run and wait (briefly) until it is recorded as cancelled."""
        task = self._tasks.get(run.id)
        if task is not None and not task.done():
            self._cancel_requested.add(run.id)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), CANCEL_WAIT_SECONDS)
        refreshed = self._store.get_run(run.id)
        assert refreshed is not None
        return refreshed

    # internals

    def _retry_plan(self, failed_run: Run):
        steps = self._store.steps_of([failed_run.id])[failed_run.id]
        failed = next((step for step in steps if step.status == RunStatus.ERROR), None)
        has_results = failed is not None and self._files.artifact(failed_run.id, failed.index, "run_results.json") is not None
        return plans.retry_plan(failed_run, steps, has_results)

    def _submit(self, run: Run) -> None:
        task = asyncio.get_running_loop().create_task(self._run(run), name=f"run-{run.id}")
        self._tasks[run.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(run.id, None))

    async def _run(self, run: Run) -> None:
        job = self._jobs.get(run.job_id)
        assert job is not None
        scenario = self._scenario_of(job.id)
        try:
            if scenario.takes_run_slot:
                async with self._slots:
                    status = await self._execute_with_timeout(run, job, scenario)
            else:
                status = await self._execute_with_timeout(run, job, scenario)
        except asyncio.CancelledError:
            if run.id in self._cancel_requested:
                self._cancel_requested.discard(run.id)
                self._end(run.id, RunStatus.CANCELLED, "Cancelled via the API.")
            elif self._store.get_run(run.id).status != RunStatus.QUEUED:
                self._end(run.id, RunStatus.ERROR, RESTART_MESSAGE)
            raise
        except TimeoutError:
            self._end(run.id, RunStatus.ERROR, f"This run timed out after {self._timeout(run, job)} seconds.")
            status = RunStatus.ERROR
        except Exception as error:  # an emulator fault must end the run, not leave it running forever
            log.exception("Run %s failed inside the emulator", run.id)
            self._end(run.id, RunStatus.ERROR, f"Emulator error while running: {error}")
            status = RunStatus.ERROR
        scenario.run_ended(status)

    async def _execute_with_timeout(self, run: Run, job: Job, scenario: Scenario) -> RunStatus:
        seconds = self._timeout(run, job)
        async with asyncio.timeout(seconds or None):
            return await self._executor.execute(run, scenario)

    @staticmethod
    def _timeout(run: Run, job: Job) -> int:
        override = run.trigger.get("timeout_seconds_override")
        return int(override) if override is not None else job.timeout_seconds

    def _end(self, run_id: int, status: RunStatus, message: str) -> None:
        """Record how an interrupted run ended, on the run and on the step it was executing."""
        now = time.time()
        for step in self._store.steps_of([run_id])[run_id]:
            if step.status == RunStatus.RUNNING:
                self._store.update_step(run_id, step.index, status=status, status_message=message, finished_at=now)
        run = self._store.get_run(run_id)
        if run is not None and not RunStatus(run.status).is_terminal:
            self._store.update_run(run_id, status=status, status_message=message, finished_at=now)
