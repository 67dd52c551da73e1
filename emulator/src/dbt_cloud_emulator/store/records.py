"""The records the store keeps: what a run and a run step are, independent of any wire format."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class PlannedStep:
    """One step a run intends to execute. kind: clone | profile | dbt | wait."""

    name: str
    kind: str
    command: str | None = None  # the dbt command line for kind "dbt"
    # For `dbt retry`: the (run id, step index) whose run_results.json it retries.
    retry_of: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PlannedStep:
        retry_of = raw.get("retry_of")
        return cls(raw["name"], raw["kind"], raw.get("command"), tuple(retry_of) if retry_of else None)


@dataclasses.dataclass(frozen=True)
class Run:
    id: int
    account_id: int
    project_id: int
    environment_id: int
    job_id: int
    status: int
    status_message: str | None
    dbt_version: str
    git_branch: str | None
    git_sha: str | None
    trigger: dict[str, Any]
    plan: tuple[PlannedStep, ...]
    retrying_run_id: int | None  # the failed run this run retries (a rerun), else None
    has_docs_generated: bool
    artifacts_saved: bool
    created_at: float
    updated_at: float
    dequeued_at: float | None
    started_at: float | None
    finished_at: float | None


@dataclasses.dataclass(frozen=True)
class RunStep:
    run_id: int
    account_id: int
    index: int  # 1-based, as in dbt Cloud
    name: str
    status: int
    status_message: str | None
    has_artifacts: bool
    started_at: float
    finished_at: float | None


@dataclasses.dataclass(frozen=True)
class RunFilter:
    """Filters of the runs list; None means 'not filtered'."""

    job_id: int | None = None
    project_id: int | None = None
    environment_id: int | None = None
    statuses: tuple[int, ...] | None = None
    ids: tuple[int, ...] | None = None
    id_above: int | None = None
    project_ids: tuple[int, ...] | None = None
    dbt_versions: tuple[str, ...] | None = None
    has_docs_generated: bool | None = None
    created_between: tuple[float, float] | None = None  # epoch seconds, both ends included
    finished_between: tuple[float, float] | None = None
    match_none: bool = False  # asks for what no run here has (generated sources, a deferring run, deleted)


@dataclasses.dataclass(frozen=True)
class JobFilter:
    """Filters of the jobs list; None means 'not filtered'."""

    project_ids: tuple[int, ...] | None = None
    environment_id: int | None = None
    dbt_versions: tuple[str, ...] | None = None
    triggers_schedule: bool | None = None
    match_none: bool = False  # asks for what no job here is (a system job, fusion-ready)


@dataclasses.dataclass(frozen=True)
class Job:
    """A job; `definition` holds its writable fields (steps, settings, schedule, ...) as the API received them."""

    id: int
    account_id: int
    project_id: int
    environment_id: int
    name: str
    state: int  # 1 active, 2 deleted
    definition: dict[str, Any]
    created_at: float
    updated_at: float

    @property
    def execute_steps(self) -> tuple[str, ...]:
        return tuple(self.definition.get("execute_steps") or ())

    @property
    def generate_docs(self) -> bool:
        return bool(self.definition.get("generate_docs"))

    @property
    def threads(self) -> int:
        return int((self.definition.get("settings") or {}).get("threads") or 1)

    @property
    def target_name(self) -> str:
        return str((self.definition.get("settings") or {}).get("target_name") or "default")

    @property
    def timeout_seconds(self) -> int:
        return int((self.definition.get("execution") or {}).get("timeout_seconds") or 0)


@dataclasses.dataclass(frozen=True)
class EnvironmentVariable:
    id: int
    account_id: int
    project_id: int
    name: str
    type: str  # project | environment | job | user
    environment_id: int | None
    job_definition_id: int | None
    user_id: int | None
    value: str | None
    created_at: float
    updated_at: float
