"""The dbt Cloud ids and names the example DAGs use, read from the environment.

`.env` at the project root (or the file named by ASTRO_DOTENV_PATH; tests point it at
/dev/null) is loaded first without overriding anything already set: Astro passes `.env` to its
containers itself, plain `python` and pytest do not.

The job ids are optional: `settings.job_id("build_all")` is the id its variable pins, or unset
the tag `[[build_all]]`, by which the operator finds the job of dbt_cloud_jobs.yml when the task
runs, in DBT_CLOUD_PROJECT_ID / DBT_CLOUD_ENVIRONMENT_ID if set (job_lookup.py).

Emulator mode is explicit: unset variables fall back to the bundled emulator's demo tenant only
with DBT_CLOUD_USE_EMULATOR=true, which `make start` (local_runner, from airflow_settings.yaml's
emulator connection), `astro dev start` (docker-compose.override.yml) and the test suite set. So
every DAG runs with an empty `.env` there. Anywhere else (a deployment, whose connection lives in
a secrets backend or the metadata database) the ids and names must be set. An
`AIRFLOW_CONN_<CONN_ID>` variable whose host is not the emulator's (real dbt Cloud in `.env`)
turns emulator mode off.

Each value is checked when a DAG file reads it: a missing or malformed value makes only the
DAG files that use it fail to import, with a message naming the variable and the fix, and the
other DAGs keep working. Nothing here touches the network or the metadata database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from airflow.sdk import Connection
from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # include/dbt_cloud/config.py -> the project
EMULATOR_HOSTS = frozenset({"localhost", "127.0.0.1", "dbt-cloud-emulator"})
_DEFAULT_CONN_ID = "dbt_cloud_default"
EMULATOR_MODE_VARIABLE = "DBT_CLOUD_USE_EMULATOR"

# The emulator's demo tenant (emulator/jobs.yaml): the defaults when the connection is the emulator's.
# No job ids: the tasks find the demo jobs 111-444 by identifier there too, as they would in dbt Cloud.
EMULATOR_DEFAULTS = {
    "DBT_CLOUD_ACCOUNT_ID": "12345",
    "DBT_CLOUD_PROJECT_ID": "70001",
    "DBT_CLOUD_ENVIRONMENT_ID": "80001",
    "DBT_CLOUD_PROJECT_NAME": "Jaffle Shop Analytics",
    "DBT_CLOUD_ENVIRONMENT_NAME": "Production",
    "DBT_CLOUD_JOB_NAME": "Build all models [[build_all]]",
}

# The variable that pins each job of dbt_cloud_jobs.yml to an id, by the job's identifier: the one
# place that names them.
_JOB_ID_VARIABLES = {
    "build_all": "DBT_CLOUD_JOB_ID",
    "build_tagged": "DBT_CLOUD_TAGGED_JOB_ID",
    "build_with_retry": "DBT_CLOUD_RETRY_JOB_ID",
    "publish_marts": "DBT_CLOUD_DOWNSTREAM_JOB_ID",
}

# Where to find each value in dbt Cloud, for the error messages.
_WHERE_TO_FIND = {
    "DBT_CLOUD_ACCOUNT_ID": ("<account id>", "the number after /deploy/ in any dbt Cloud URL"),
    "DBT_CLOUD_PROJECT_ID": ("<project id>", "the number after /projects/ in a dbt Cloud URL of the project"),
    "DBT_CLOUD_ENVIRONMENT_ID": ("<environment id>", "the number after /environments/ in the environment's URL"),
    "DBT_CLOUD_JOB_ID": ("<job id>", "the number after /jobs/ in the job's URL in dbt Cloud"),
    "DBT_CLOUD_PROJECT_NAME": ("<project name>", "the project's name exactly as dbt Cloud shows it"),
    "DBT_CLOUD_ENVIRONMENT_NAME": ("<environment name>", "the environment's name exactly as dbt Cloud shows it"),
    "DBT_CLOUD_JOB_NAME": ("<job name>", "the job's name exactly as dbt Cloud shows it"),
}


def _where_to_find(name: str) -> tuple[str, str]:
    return _WHERE_TO_FIND.get(name) or _WHERE_TO_FIND["DBT_CLOUD_JOB_ID"]  # the other job ids: _JOB_ID_VARIABLES


def _pinning_variable(identifier: str) -> str | None:
    """The variable that pins the job with this identifier to an id, if the template names one."""
    return _JOB_ID_VARIABLES.get(identifier)


class DbtCloudSettingsError(ValueError):
    """A dbt Cloud setting is missing or malformed; the message names the variable and the fix."""


def _dotenv_path() -> Path:
    return Path(os.environ.get("ASTRO_DOTENV_PATH") or PROJECT_ROOT / ".env")


def _load_dotenv_file(path: Path | None = None) -> None:
    """Export `.env` into os.environ, keeping variables that are already set."""
    load_dotenv(path or _dotenv_path(), override=False)


class DbtCloudSettings:
    """Typed access to the dbt Cloud settings in `environ`; each value is checked on first use."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    @property
    def conn_id(self) -> str:
        conn_id = self._environ.get("DBT_CLOUD_CONN_ID", _DEFAULT_CONN_ID).strip()
        if not conn_id:
            raise DbtCloudSettingsError(
                "DBT_CLOUD_CONN_ID is set but empty: remove it from .env to use "
                f"{_DEFAULT_CONN_ID!r}, or set it to the id of your dbt Cloud connection."
            )
        return conn_id

    @property
    def conn_env_var(self) -> str:
        return f"AIRFLOW_CONN_{self.conn_id.upper()}"

    @property
    def tenant_host(self) -> str | None:
        """The host of the connection set by environment variable; None when there is none."""
        raw = self._environ.get(self.conn_env_var, "").strip()
        if not raw:
            return None
        try:
            if raw.startswith("{"):
                conn = Connection.from_json(raw, conn_id=self.conn_id)
            else:
                conn = Connection.from_uri(raw, conn_id=self.conn_id)
        except Exception:  # not chained nor quoted: the parser's message may contain the token
            raise DbtCloudSettingsError(
                f"{self.conn_env_var} is neither connection JSON nor a connection URI: set it to JSON such as "
                '\'{"conn_type":"dbt_cloud","host":"cloud.getdbt.com","login":"<account id>",'
                '"password":"<API token>"}\''
            ) from None
        return conn.host or "cloud.getdbt.com"  # the provider's own default host

    @property
    def emulator_mode(self) -> bool:
        """Whether the environment says the DAGs run against the bundled emulator."""
        raw = self._environ.get(EMULATOR_MODE_VARIABLE, "").strip().lower()
        if raw in ("true", "1"):
            return True
        if raw in ("", "false", "0"):
            return False
        raise DbtCloudSettingsError(
            f"{EMULATOR_MODE_VARIABLE}={raw!r} is neither true nor false: set it to true to use the bundled "
            "emulator's demo ids, or remove it."
        )

    @property
    def uses_emulator(self) -> bool:
        if not self.emulator_mode:
            return False
        host = self.tenant_host
        if host is None:
            return True
        name, _, port = host.rpartition(":")
        if not port.isdigit():
            name = host
        return name.lower() in EMULATOR_HOSTS

    @property
    def account_id(self) -> int:
        return self._positive_int("DBT_CLOUD_ACCOUNT_ID")

    @property
    def project_id(self) -> int | None:
        """Where the tasks look their jobs up; None: the whole account."""
        return self._optional_id("DBT_CLOUD_PROJECT_ID")

    @property
    def environment_id(self) -> int | None:
        return self._optional_id("DBT_CLOUD_ENVIRONMENT_ID")

    def job_id(self, identifier: str) -> int | str:
        """The id pinned for the job of dbt_cloud_jobs.yml with this identifier, or `[[identifier]]`: the
        operator then finds the job carrying that tag when the task runs."""
        pinned = self._optional_id(_JOB_ID_VARIABLES[identifier])
        return f"[[{identifier}]]" if pinned is None else pinned

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
        fix = f"set {name}={placeholder} in .env ({where})"
        raw = self._environ.get(name)
        if raw is None:
            if self.uses_emulator:
                return EMULATOR_DEFAULTS[name]
            if self.emulator_mode:
                why = f"{self.conn_env_var} points at {self.tenant_host}, not the bundled emulator"
            else:
                why = f"{EMULATOR_MODE_VARIABLE} is not true (make start and astro dev start set it, for the emulator's demo ids)"
            raise DbtCloudSettingsError(
                f"{name} is not set: add {name}={placeholder} to .env or the deployment's environment "
                f"variables ({where}). It is required because {why}."
            )
        if not raw.strip():
            raise DbtCloudSettingsError(f"{name} is set but empty: {fix}, or remove the line.")
        return raw.strip()

    def _optional_id(self, name: str) -> int | None:
        """The id if set (checked), else the emulator's default in emulator mode, else None."""
        if name not in self._environ and not (self.uses_emulator and name in EMULATOR_DEFAULTS):
            return None
        return self._positive_int(name)

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
