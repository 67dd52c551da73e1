"""RunStore: runs, run steps and per-job state in one SQLite file."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from dbt_cloud_emulator.store.records import PlannedStep, Run, RunFilter, RunStep

T = TypeVar("T")
# Run ids start high enough that they never look like job or project ids.
FIRST_RUN_ID = 100001
ORDERABLE_RUN_COLUMNS = ("id", "created_at", "finished_at")
SQLITE_INTEGERS = range(-(2**63), 2**63)  # what SQLite can bind; no id outside it can exist
_RUN_COLUMNS = {
    "status", "status_message", "git_branch", "git_sha", "has_docs_generated", "artifacts_saved",
    "dequeued_at", "started_at", "finished_at",
}
_STEP_COLUMNS = {"status", "status_message", "has_artifacts", "finished_at"}


class RunStore:
    """All reads are single indexed queries: the run-status GET is what pollers hit."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection, used from the event loop thread only (and tests); autocommit.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(resources.files(__package__).joinpath("schema.sql").read_text())
        if self._db.execute("SELECT 1 FROM sqlite_sequence WHERE name = 'runs'").fetchone() is None:
            self._db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', ?)", (FIRST_RUN_ID - 1,))

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection, shared with JobStore (one file, one writer)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    # runs

    def create_run(
        self,
        *,
        account_id: int,
        project_id: int,
        environment_id: int,
        job_id: int,
        dbt_version: str,
        git_branch: str | None,
        git_sha: str | None,
        trigger: dict[str, Any],
        plan: Iterable[PlannedStep],
        retrying_run_id: int | None = None,
    ) -> Run:
        now = time.time()
        cursor = self._db.execute(
            "INSERT INTO runs (account_id, project_id, environment_id, job_id, status, dbt_version,"
            " git_branch, git_sha, trigger_json, plan_json, retrying_run_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account_id, project_id, environment_id, job_id, dbt_version, git_branch, git_sha,
                json.dumps(trigger), json.dumps([step.to_dict() for step in plan]), retrying_run_id, now, now,
            ),
        )
        run = self.get_run(cursor.lastrowid)
        assert run is not None
        return run

    def get_run(self, run_id: int) -> Run | None:
        if run_id not in SQLITE_INTEGERS:  # a path id SQLite cannot bind: no such run (found by fuzzing)
            return None
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def update_run(self, run_id: int, **fields: Any) -> None:
        unknown = set(fields) - _RUN_COLUMNS
        if unknown:
            raise ValueError(f"Not updatable run fields: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self._db.execute(
            f"UPDATE runs SET {assignments}, updated_at = ? WHERE id = ?",
            (*fields.values(), time.time(), run_id),
        )

    def list_runs(
        self, account_id: int, run_filter: RunFilter, order_by: str, limit: int, offset: int
    ) -> tuple[list[Run], int]:
        """One page of runs and the total that match. order_by: a column of ORDERABLE_RUN_COLUMNS, '-' for desc."""
        column = order_by.lstrip("-")
        if column not in ORDERABLE_RUN_COLUMNS:
            raise ValueError(f"Cannot order runs by {order_by!r}")
        direction = "DESC" if order_by.startswith("-") else "ASC"
        where, params = _where(account_id, run_filter)
        total = self._db.execute(f"SELECT COUNT(*) FROM runs WHERE {where}", params).fetchone()[0]
        rows = self._db.execute(
            f"SELECT * FROM runs WHERE {where} ORDER BY {column} {direction}, id {direction} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [_run(row) for row in rows], total

    def latest_run_of_job(self, job_id: int) -> Run | None:
        row = self._db.execute(
            "SELECT * FROM runs WHERE job_id = ? ORDER BY created_at DESC, id DESC LIMIT 1", (job_id,)
        ).fetchone()
        return _run(row) if row else None

    def runs_in_status(self, statuses: Iterable[int]) -> list[Run]:
        statuses = tuple(statuses)
        marks = ", ".join("?" for _ in statuses)
        rows = self._db.execute(f"SELECT * FROM runs WHERE status IN ({marks}) ORDER BY id", statuses).fetchall()
        return [_run(row) for row in rows]

    # run steps

    def add_step(self, run: Run, index: int, name: str, status: int) -> None:
        self._db.execute(
            "INSERT INTO run_steps (run_id, idx, account_id, name, status, started_at) VALUES (?, ?, ?, ?, ?, ?)",
            (run.id, index, run.account_id, name, status, time.time()),
        )

    def update_step(self, run_id: int, index: int, **fields: Any) -> None:
        unknown = set(fields) - _STEP_COLUMNS
        if unknown:
            raise ValueError(f"Not updatable step fields: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self._db.execute(
            f"UPDATE run_steps SET {assignments} WHERE run_id = ? AND idx = ?", (*fields.values(), run_id, index)
        )

    def steps_of(self, run_ids: Iterable[int]) -> dict[int, list[RunStep]]:
        """Steps of each run, by run id, in index order (runs without steps map to [])."""
        run_ids = tuple(run_ids)
        steps: dict[int, list[RunStep]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return steps
        marks = ", ".join("?" for _ in run_ids)
        for row in self._db.execute(
            f"SELECT * FROM run_steps WHERE run_id IN ({marks}) ORDER BY run_id, idx", run_ids
        ):
            steps[row["run_id"]].append(_step(row))
        return steps

    # per-job state

    def late_data_landed(self, job_id: int) -> bool:
        row = self._db.execute("SELECT late_data_landed FROM job_state WHERE job_id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    def set_late_data_landed(self, job_id: int, landed: bool) -> None:
        self._db.execute(
            "INSERT INTO job_state (job_id, late_data_landed) VALUES (?, ?)"
            " ON CONFLICT (job_id) DO UPDATE SET late_data_landed = excluded.late_data_landed",
            (job_id, int(landed)),
        )


def _where(account_id: int, run_filter: RunFilter) -> tuple[str, list[Any]]:
    clauses, params = ["account_id = ?"], [account_id]
    for column, value in (
        ("job_id", run_filter.job_id),
        ("project_id", run_filter.project_id),
        ("environment_id", run_filter.environment_id),
        ("has_docs_generated", run_filter.has_docs_generated),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    for column, values in (
        ("status", run_filter.statuses), ("id", run_filter.ids), ("project_id", run_filter.project_ids),
        ("dbt_version", run_filter.dbt_versions),
    ):
        if values is not None:
            clauses.append(f"{column} IN ({', '.join('?' for _ in values) or 'NULL'})")
            params.extend(values)
    for column, between in (("created_at", run_filter.created_between), ("finished_at", run_filter.finished_between)):
        if between is not None:
            clauses.append(f"{column} BETWEEN ? AND ?")
            params.extend(between)
    if run_filter.id_above is not None:
        clauses.append("id > ?")
        params.append(run_filter.id_above)
    if run_filter.match_none:
        clauses.append("0")
    return " AND ".join(clauses), params


def record(cls: type[T], row: sqlite3.Row, **converted: Any) -> T:
    """A record from a row: columns named like the fields, plus the fields that need converting."""
    names = [field.name for field in dataclasses.fields(cls) if field.name not in converted]
    return cls(**{name: row[name] for name in names}, **converted)


def _run(row: sqlite3.Row) -> Run:
    return record(
        Run, row,
        trigger=json.loads(row["trigger_json"]),
        plan=tuple(PlannedStep.from_dict(step) for step in json.loads(row["plan_json"])),
        has_docs_generated=bool(row["has_docs_generated"]),
        artifacts_saved=bool(row["artifacts_saved"]),
    )


def _step(row: sqlite3.Row) -> RunStep:
    return record(RunStep, row, index=row["idx"], has_artifacts=bool(row["has_artifacts"]))
