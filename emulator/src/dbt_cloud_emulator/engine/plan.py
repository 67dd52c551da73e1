"""Which steps a run executes, named as dbt Cloud names them."""

from __future__ import annotations

from dbt_cloud_emulator.store.records import Job, PlannedStep, Run, RunStep

CLONE = PlannedStep("Clone Git Repository", "clone")
PROFILE = PlannedStep("Create Profile from Connection DuckDB", "profile")
SYNTHETIC_WAIT = PlannedStep("Wait (synthetic benchmark job: no dbt)", "wait")
DEPS_COMMAND = "dbt deps"
DOCS_COMMAND = "dbt docs generate"
RETRY_COMMAND = "dbt retry"


def dbt_step(command: str, retry_of: tuple[int, int] | None = None) -> PlannedStep:
    return PlannedStep(f"Invoke dbt with `{command}`", "dbt", command, retry_of)


def plan_for_trigger(job: Job, steps_override: list[str] | None, generate_docs_override: bool | None) -> list[PlannedStep]:
    commands = steps_override if steps_override else list(job.execute_steps)
    generate_docs = job.generate_docs if generate_docs_override is None else generate_docs_override
    steps = [CLONE, PROFILE, dbt_step(DEPS_COMMAND), *(dbt_step(command) for command in commands)]
    if generate_docs:
        steps.append(dbt_step(DOCS_COMMAND))
    return steps


def retry_plan(failed_run: Run, steps: list[RunStep], failed_step_has_run_results: bool) -> list[PlannedStep] | None:
    """The plan that retries `failed_run` from its failed step, or None when it cannot be retried that way.

    Like dbt Cloud: the failed dbt command is replaced by `dbt retry` (which re-executes the failed and
    skipped nodes from that step's run_results.json), and the steps after it run as planned.
    """
    failed = next((step for step in steps if step.status == 20), None)
    if failed is None or not failed_step_has_run_results:
        return None
    planned = failed_run.plan[failed.index - 1]
    if planned.kind != "dbt" or planned.command == DEPS_COMMAND:
        return None
    setup = [step for step in failed_run.plan if step.kind in ("clone", "profile") or step.command == DEPS_COMMAND]
    return [*setup, dbt_step(RETRY_COMMAND, retry_of=(failed_run.id, failed.index)), *failed_run.plan[failed.index:]]
