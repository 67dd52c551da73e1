"""Persistent state: jobs, environment variables, runs and steps in SQLite, step logs and artifacts in a folder (both under STATE_DIR)."""

from dbt_cloud_emulator.store.files import RunFiles
from dbt_cloud_emulator.store.jobs import JobStore
from dbt_cloud_emulator.store.records import EnvironmentVariable, Job, JobFilter, Run, RunFilter, RunStep
from dbt_cloud_emulator.store.runs import SQLITE_INTEGERS, RunStore

__all__ = ["SQLITE_INTEGERS", "EnvironmentVariable", "Job", "JobFilter", "JobStore", "Run", "RunFilter", "RunFiles", "RunStep", "RunStore"]
