"""The dbt Cloud ids and names the DAGs use, from the environment and `.env` (at the project root, or
ASTRO_DOTENV_PATH; never overriding what is set). Each is checked when a DAG file reads it: a missing or
malformed one fails only the DAG files that use it, naming the variable and the fix. No network, no database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import load_dotenv

_PROJECT_ROOT = Path(__file__).resolve().parents[2]  # include/dbt_cloud/config.py -> the project
_DEFAULT_CONN_ID = "dbt_cloud_default"

_JOB_ID_VARIABLES = {
    "build_all": "DBT_CLOUD_JOB_ID",
    "build_tagged": "DBT_CLOUD_TAGGED_JOB_ID",
    "build_with_retry": "DBT_CLOUD_RETRY_JOB_ID",
    "publish_marts": "DBT_CLOUD_DOWNSTREAM_JOB_ID",
}  # the variable that pins each job of dbt_cloud_jobs.yml to an id, by its identifier

_WHERE_TO_FIND = {  # where to find each value in dbt Cloud, for the error messages
    "DBT_CLOUD_ACCOUNT_ID": ("<account id>", "the number after /deploy/ in any dbt Cloud URL"),
    "DBT_CLOUD_PROJECT_ID": ("<project id>", "the number after /projects/ in a dbt Cloud URL of the project"),
    "DBT_CLOUD_ENVIRONMENT_ID": ("<environment id>", "the number after /environments/ in the environment's URL"),
    "DBT_CLOUD_JOB_ID": ("<job id>", "the number after /jobs/ in the job's URL in dbt Cloud"),
    "DBT_CLOUD_PROJECT_NAME": ("<project name>", "the project's name exactly as dbt Cloud shows it"),
    "DBT_CLOUD_ENVIRONMENT_NAME": ("<environment name>", "the environment's name exactly as dbt Cloud shows it"),
    "DBT_CLOUD_JOB_NAME": ("<job name>", "the job's name exactly as dbt Cloud shows it"),
}


class DbtCloudSettingsError(ValueError):
    """A dbt Cloud setting is missing or malformed; the message names the variable and the fix."""


def _where_to_find(name: str) -> tuple[str, str]:
    return _WHERE_TO_FIND.get(name) or _WHERE_TO_FIND["DBT_CLOUD_JOB_ID"]  # the other job ids: _JOB_ID_VARIABLES


def _dotenv_path() -> Path:
    return Path(os.environ.get("ASTRO_DOTENV_PATH") or _PROJECT_ROOT / ".env")


def _load_dotenv_file(path: Path | None = None) -> None:
    """Export `.env` into os.environ, keeping variables that are already set."""
    load_dotenv(path or _dotenv_path(), override=False)


class DbtCloudSettings:
    """Typed access to the dbt Cloud settings in `environ`; each value is checked on first use."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    @property
    def conn_id(self) -> str:  # set but empty: the default, as if unset
        return self._environ.get("DBT_CLOUD_CONN_ID", "").strip() or _DEFAULT_CONN_ID

    @property
    def account_id(self) -> int:
        return self._positive_int("DBT_CLOUD_ACCOUNT_ID")

    @property
    def project_id(self) -> int | None:
        """Where the tasks look their jobs up; None: the whole account."""
        return self._optional_id("DBT_CLOUD_PROJECT_ID")

    @property
    def environment_id(self) -> int | None:  # likewise
        return self._optional_id("DBT_CLOUD_ENVIRONMENT_ID")

    def job_id(self, identifier: str) -> int | str:
        """The id pinned for the job with this jobs-as-code identifier, else `[[identifier]]` (found when the task runs)."""
        pinned = self._optional_id(_JOB_ID_VARIABLES[identifier])
        return f"[[{identifier}]]" if pinned is None else pinned

    @staticmethod
    def job_id_variable(identifier: str) -> str | None:
        """The variable that pins the job with this identifier to an id, if there is one."""
        return _JOB_ID_VARIABLES.get(identifier)

    @property
    def project_name(self) -> str:
        return self._required("DBT_CLOUD_PROJECT_NAME")

    @property
    def environment_name(self) -> str:
        return self._required("DBT_CLOUD_ENVIRONMENT_NAME")

    @property
    def job_name(self) -> str:
        return self._required("DBT_CLOUD_JOB_NAME")

    def _required(self, name: str) -> str:
        placeholder, where = _where_to_find(name)
        raw = self._environ.get(name)
        if raw is None:
            raise DbtCloudSettingsError(
                f"{name} is not set: add {name}={placeholder} to .env or the deployment's environment "
                f"variables ({where})."
            )
        if not raw.strip():
            raise DbtCloudSettingsError(f"{name} is set but empty: set {name}={placeholder} in .env ({where}), "
                                        "or remove the line.")
        return raw.strip()

    def _optional_id(self, name: str) -> int | None:
        return None if name not in self._environ else self._positive_int(name)

    def _positive_int(self, name: str) -> int:
        value = self._required(name)
        if not value.isdigit() or int(value) == 0:
            placeholder, where = _where_to_find(name)
            raise DbtCloudSettingsError(
                f"{name}={value!r} is not a dbt Cloud id (a positive whole number): "
                f"set {name}={placeholder} in .env ({where})."
            )
        return int(value)


_load_dotenv_file()
settings = DbtCloudSettings()
