"""JobStore: jobs and custom environment variables, in the run store's SQLite file."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from dbt_cloud_emulator.store.records import EnvironmentVariable, Job, JobFilter
from dbt_cloud_emulator.store.runs import SQLITE_INTEGERS, record

# Jobs created through the API get ids from here on; the tenant's own jobs keep the ids its file gives them.
FIRST_CREATED_JOB_ID = 1001
ACTIVE, DELETED = 1, 2
_ENV_VAR_COLUMNS = ("name", "type", "environment_id", "job_definition_id", "user_id", "value")


class JobStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        if self._db.execute("SELECT 1 FROM sqlite_sequence WHERE name = 'jobs'").fetchone() is None:
            self._db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs', ?)", (FIRST_CREATED_JOB_ID - 1,))

    # jobs

    def seed(self, job_id: int, *, account_id: int, project_id: int, environment_id: int, definition: dict[str, Any]) -> None:
        """Add a tenant job the first time the emulator sees its id; later it is the API's to change or delete."""
        now = time.time()
        self._db.execute(
            "INSERT OR IGNORE INTO jobs (id, account_id, project_id, environment_id, name, state, definition_json,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job_id, account_id, project_id, environment_id, definition["name"], definition.get("state", ACTIVE),
             json.dumps(definition), now, now),
        )

    def create(self, *, account_id: int, project_id: int, environment_id: int, definition: dict[str, Any]) -> Job:
        now = time.time()
        cursor = self._db.execute(
            "INSERT INTO jobs (account_id, project_id, environment_id, name, state, definition_json, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (account_id, project_id, environment_id, definition["name"], definition.get("state", ACTIVE),
             json.dumps(definition), now, now),
        )
        job = self.get(cursor.lastrowid)
        assert job is not None
        return job

    def update(self, job_id: int, *, project_id: int, environment_id: int, definition: dict[str, Any]) -> Job:
        self._db.execute(
            "UPDATE jobs SET project_id = ?, environment_id = ?, name = ?, state = ?, definition_json = ?,"
            " updated_at = ? WHERE id = ?",
            (project_id, environment_id, definition["name"], definition.get("state", ACTIVE), json.dumps(definition),
             time.time(), job_id),
        )
        job = self.get(job_id)
        assert job is not None
        return job

    def delete(self, job_id: int) -> None:
        """dbt Cloud deletes softly: the job keeps its id and its runs, with state 2."""
        self._db.execute("UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?", (DELETED, time.time(), job_id))

    def get(self, job_id: int) -> Job | None:
        if job_id not in SQLITE_INTEGERS:  # a path id SQLite cannot bind: no such job (found by fuzzing)
            return None
        row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def matching(self, account_id: int, job_filter: JobFilter) -> list[Job]:
        """The account's jobs that pass the filter, active and deleted (state 2), by id. A definition without
        dbt_version or triggers has dbt Cloud's defaults: no version pinned, no schedule trigger."""
        rows = self._db.execute("SELECT * FROM jobs WHERE account_id = ? ORDER BY id", (account_id,)).fetchall()
        return [
            job for job in map(_job, rows)
            if not job_filter.match_none
            and (job_filter.project_ids is None or job.project_id in job_filter.project_ids)
            and job_filter.environment_id in (None, job.environment_id)
            and (job_filter.dbt_versions is None or job.definition.get("dbt_version") in job_filter.dbt_versions)
            and job_filter.triggers_schedule in (None, bool((job.definition.get("triggers") or {}).get("schedule")))
        ]

    # custom environment variables

    def create_variable(self, *, account_id: int, project_id: int, **fields: Any) -> EnvironmentVariable:
        now = time.time()
        values = [fields.get(column) for column in _ENV_VAR_COLUMNS]
        cursor = self._db.execute(
            f"INSERT INTO environment_variables (account_id, project_id, {', '.join(_ENV_VAR_COLUMNS)}, created_at,"
            f" updated_at) VALUES (?, ?, {', '.join('?' for _ in _ENV_VAR_COLUMNS)}, ?, ?)",
            (account_id, project_id, *values, now, now),
        )
        variable = self.variable(cursor.lastrowid)
        assert variable is not None
        return variable

    def update_variable(self, variable_id: int, **fields: Any) -> EnvironmentVariable:
        changes = {name: value for name, value in fields.items() if name in _ENV_VAR_COLUMNS}
        assignments = "".join(f"{name} = ?, " for name in changes)
        self._db.execute(
            f"UPDATE environment_variables SET {assignments}updated_at = ? WHERE id = ?",
            (*changes.values(), time.time(), variable_id),
        )
        variable = self.variable(variable_id)
        assert variable is not None
        return variable

    def delete_variable(self, variable_id: int) -> None:
        self._db.execute("DELETE FROM environment_variables WHERE id = ?", (variable_id,))

    def variable(self, variable_id: int) -> EnvironmentVariable | None:
        if variable_id not in SQLITE_INTEGERS:
            return None
        row = self._db.execute("SELECT * FROM environment_variables WHERE id = ?", (variable_id,)).fetchone()
        return record(EnvironmentVariable, row) if row else None

    def variables(self, project_id: int) -> list[EnvironmentVariable]:
        rows = self._db.execute(
            "SELECT * FROM environment_variables WHERE project_id = ? ORDER BY id", (project_id,)
        ).fetchall()
        return [record(EnvironmentVariable, row) for row in rows]

    def variable_values(self, project_id: int, environment_id: int, job_id: int) -> dict[str, str]:
        """The custom environment variables a run of the job sees, in dbt Cloud's order of precedence:
        project defaults, then the environment's values, then the job's overrides."""
        variables = [v for v in self.variables(project_id) if v.value is not None]
        values = {v.name: v.value for v in variables if v.type == "project"}
        values.update({v.name: v.value for v in variables if v.type == "environment" and v.environment_id == environment_id})
        values.update({v.name: v.value for v in variables if v.type == "job" and v.job_definition_id == job_id})
        return values


def _job(row: sqlite3.Row) -> Job:
    return record(Job, row, definition=json.loads(row["definition_json"]))
