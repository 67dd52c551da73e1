"""The dbt Cloud settings module: emulator defaults, real-cloud requirements, messages, .env."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from include.dbt_cloud.config import (
    EMULATOR_DEFAULTS,
    EMULATOR_MODE_VARIABLE,
    _JOB_ID_VARIABLES as JOB_ID_VARIABLES,
    PROJECT_ROOT,
    DbtCloudSettings,
    DbtCloudSettingsError,
    _dotenv_path,
    _load_dotenv_file,
)
from include.dbt_cloud.job_lookup import identifier_of
from local_runner import demo_tenant
from tests.environment import NO_EMULATOR_HERE, emulator_available, emulator_tenant_jobs

EMULATOR_MODE = {EMULATOR_MODE_VARIABLE: "true"}
REAL_CLOUD = {
    "AIRFLOW_CONN_DBT_CLOUD_DEFAULT": json.dumps(
        {"conn_type": "dbt_cloud", "host": "ab123.us1.dbt.com", "login": "98765", "password": "dbtc_secret"}
    )
}
# Optional: unset, the tasks look their jobs up in the whole account (project, environment).
OPTIONAL_ID_PROPERTIES = {"project_id": "DBT_CLOUD_PROJECT_ID", "environment_id": "DBT_CLOUD_ENVIRONMENT_ID"}
ID_PROPERTIES = {"account_id": "DBT_CLOUD_ACCOUNT_ID", **OPTIONAL_ID_PROPERTIES}
ALL_ID_VARIABLES = [*ID_PROPERTIES.values(), *JOB_ID_VARIABLES.values()]


def read_id(settings: DbtCloudSettings, variable: str):
    """The setting behind `variable`: a property, or a job's id (by the identifier it pins)."""
    identifier = next((i for i, v in JOB_ID_VARIABLES.items() if v == variable), None)
    if identifier is not None:
        return settings.job_id(identifier)
    return getattr(settings, {v: p for p, v in ID_PROPERTIES.items()}[variable])


def unpinned(settings: DbtCloudSettings) -> list:
    return [settings.job_id(identifier) for identifier in JOB_ID_VARIABLES]


TAGS = [f"[[{identifier}]]" for identifier in JOB_ID_VARIABLES]
NAME_PROPERTIES = {
    "project_name": "DBT_CLOUD_PROJECT_NAME",
    "environment_name": "DBT_CLOUD_ENVIRONMENT_NAME",
    "job_name": "DBT_CLOUD_JOB_NAME",
}


def conn_json(host: str) -> str:
    return json.dumps({"conn_type": "dbt_cloud", "host": host, "login": str(demo_tenant.ACCOUNT_ID), "password": "t"})


def test_emulator_mode_means_the_emulator_demo_tenant():
    settings = DbtCloudSettings(EMULATOR_MODE)
    assert settings.uses_emulator
    assert settings.conn_id == "dbt_cloud_default"
    assert (settings.account_id, settings.project_id, settings.environment_id) == (
        demo_tenant.ACCOUNT_ID, demo_tenant.PROJECT_ID, demo_tenant.PRODUCTION_ENVIRONMENT_ID)
    # No job id: the tasks find the demo jobs by identifier, in the demo environment.
    assert unpinned(settings) == TAGS
    assert settings.project_name == "Jaffle Shop Analytics"
    assert settings.environment_name == "Production"
    assert settings.job_name == "Build all models [[build_all]]"


@pytest.mark.parametrize(
    "value",
    [
        conn_json("localhost:8443"),
        conn_json("127.0.0.1:9443"),
        conn_json("dbt-cloud-emulator:8443"),
        conn_json("LOCALHOST"),
        f"dbt-cloud://{demo_tenant.ACCOUNT_ID}:{demo_tenant.TOKEN}@localhost",
    ],
)
def test_emulator_hosts_keep_the_demo_defaults(value):
    settings = DbtCloudSettings({**EMULATOR_MODE, "AIRFLOW_CONN_DBT_CLOUD_DEFAULT": value})
    assert settings.uses_emulator
    assert settings.environment_id == demo_tenant.PRODUCTION_ENVIRONMENT_ID


@pytest.mark.parametrize("environ", [{}, {"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": conn_json("localhost:8443")},
                                     {EMULATOR_MODE_VARIABLE: "false"}, {EMULATOR_MODE_VARIABLE: "0"}])
def test_without_emulator_mode_nothing_means_the_emulator(environ):
    # No connection variable: the connection may be in the metadata DB or a secrets backend.
    settings = DbtCloudSettings(environ)
    assert not settings.uses_emulator
    assert (settings.project_id, settings.environment_id, settings.job_id("build_all")) == (None, None, "[[build_all]]")
    with pytest.raises(DbtCloudSettingsError) as raised:
        settings.account_id
    assert str(raised.value).startswith("DBT_CLOUD_ACCOUNT_ID is not set: add DBT_CLOUD_ACCOUNT_ID=<account id> to .env")
    assert f"because {EMULATOR_MODE_VARIABLE} is not true" in str(raised.value)


@pytest.mark.parametrize("value", ["yes", "on", "emulator"])
def test_an_unclear_emulator_mode_is_named(value):
    with pytest.raises(DbtCloudSettingsError, match=f"^{EMULATOR_MODE_VARIABLE}='{value}' is neither true nor false"):
        DbtCloudSettings({EMULATOR_MODE_VARIABLE: value}).account_id


@pytest.mark.parametrize(
    "value",
    [conn_json("cloud.getdbt.com"), conn_json("ab123.us1.dbt.com"), conn_json(""), "dbt-cloud://1:t@emea.dbt.com"],
)
def test_other_hosts_are_real_dbt_cloud_even_in_emulator_mode(value):
    # An empty host is the provider's default, cloud.getdbt.com.
    assert not DbtCloudSettings({**EMULATOR_MODE, "AIRFLOW_CONN_DBT_CLOUD_DEFAULT": value}).uses_emulator


def test_the_connection_variable_follows_dbt_cloud_conn_id():
    environ = {**EMULATOR_MODE, "DBT_CLOUD_CONN_ID": "dbt_cloud_prod",
               "AIRFLOW_CONN_DBT_CLOUD_PROD": conn_json("cloud.getdbt.com")}
    settings = DbtCloudSettings(environ)
    assert settings.conn_id == "dbt_cloud_prod"
    assert not settings.uses_emulator
    # The default connection's variable no longer matters.
    assert DbtCloudSettings({**environ, **{"DBT_CLOUD_CONN_ID": "other"}}).uses_emulator


@pytest.mark.parametrize(("prop", "variable"), [("account_id", "DBT_CLOUD_ACCOUNT_ID"), *NAME_PROPERTIES.items()])
def test_real_dbt_cloud_requires_the_account_id_and_the_names(prop, variable):
    with pytest.raises(DbtCloudSettingsError) as raised:
        getattr(DbtCloudSettings({**EMULATOR_MODE, **REAL_CLOUD}), prop)
    message = str(raised.value)
    assert message.startswith(f"{variable} is not set: add {variable}=<")
    assert "to .env" in message
    assert "AIRFLOW_CONN_DBT_CLOUD_DEFAULT points at ab123.us1.dbt.com" in message
    assert "dbtc_secret" not in message


def test_real_dbt_cloud_needs_no_job_id_nor_lookup_scope():
    settings = DbtCloudSettings({**EMULATOR_MODE, **REAL_CLOUD})
    assert [getattr(settings, prop) for prop in OPTIONAL_ID_PROPERTIES] == [None] * len(OPTIONAL_ID_PROPERTIES)
    assert unpinned(settings) == TAGS


def test_the_account_id_message_says_where_to_find_it():
    with pytest.raises(DbtCloudSettingsError, match=r"DBT_CLOUD_ACCOUNT_ID is not set: add DBT_CLOUD_ACCOUNT_ID=<account id> "
                       r"to \.env or the deployment's environment variables "
                       r"\(the number after /deploy/ in any dbt Cloud URL\)"):
        DbtCloudSettings(REAL_CLOUD).account_id


def test_real_dbt_cloud_reads_the_set_values():
    environ = {
        **REAL_CLOUD,
        **{variable: str(700 + n) for n, variable in enumerate(ALL_ID_VARIABLES)},
        **{variable: f" My {variable} " for variable in NAME_PROPERTIES.values()},
    }
    settings = DbtCloudSettings(environ)
    assert [read_id(settings, variable) for variable in ALL_ID_VARIABLES] == list(range(700, 700 + len(ALL_ID_VARIABLES)))
    assert settings.job_name == "My DBT_CLOUD_JOB_NAME"


@pytest.mark.parametrize("raw", ["abc", "12.5", "-3", "0", "1e3", "111 222"])
@pytest.mark.parametrize("variable", ALL_ID_VARIABLES)
def test_malformed_ids_name_the_variable_and_the_fix(variable, raw):
    with pytest.raises(DbtCloudSettingsError) as raised:
        read_id(DbtCloudSettings({variable: raw}), variable)
    assert str(raised.value).startswith(f"{variable}={raw!r} is not a dbt Cloud id")
    assert f"set {variable}=<" in str(raised.value)


@pytest.mark.parametrize("variable", [*ALL_ID_VARIABLES, *NAME_PROPERTIES.values()])
def test_set_but_empty_is_an_error_even_with_the_emulator(variable):
    names = {v: p for p, v in NAME_PROPERTIES.items()}
    with pytest.raises(DbtCloudSettingsError, match=f"^{variable} is set but empty: set {variable}=<"):
        settings = DbtCloudSettings({variable: "  "})
        getattr(settings, names[variable]) if variable in names else read_id(settings, variable)


def test_ids_tolerate_surrounding_spaces():
    assert DbtCloudSettings({"DBT_CLOUD_JOB_ID": " 42 "}).job_id("build_all") == 42


@pytest.mark.parametrize("value", ['{"host": "x", "password": "dbtc_secret"', "a://b://c://dbtc_secret@host"])
def test_an_unreadable_connection_variable_is_named_without_its_token(value):
    with pytest.raises(DbtCloudSettingsError, match="^AIRFLOW_CONN_DBT_CLOUD_DEFAULT is neither connection JSON") as raised:
        DbtCloudSettings({**EMULATOR_MODE, "AIRFLOW_CONN_DBT_CLOUD_DEFAULT": value}).account_id
    assert "dbtc_secret" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_empty_conn_id_is_named():
    with pytest.raises(DbtCloudSettingsError, match="^DBT_CLOUD_CONN_ID is set but empty"):
        DbtCloudSettings({"DBT_CLOUD_CONN_ID": ""}).conn_id


def test_one_bad_value_does_not_spoil_the_others():
    settings = DbtCloudSettings({**EMULATOR_MODE, "DBT_CLOUD_TAGGED_JOB_ID": "nope"})
    assert (settings.account_id, settings.job_id("build_all")) == (demo_tenant.ACCOUNT_ID, "[[build_all]]")
    with pytest.raises(DbtCloudSettingsError):
        settings.job_id("build_tagged")


def test_dotenv_fills_unset_variables_without_overriding_set_ones(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("DBT_CLOUD_JOB_ID=777\nDBT_CLOUD_ACCOUNT_ID=1\n")
    monkeypatch.delenv("DBT_CLOUD_JOB_ID", raising=False)
    monkeypatch.setenv("DBT_CLOUD_ACCOUNT_ID", "2")
    # load_dotenv writes os.environ; monkeypatch restores it after the test.
    monkeypatch.setattr(os, "environ", os.environ.copy())
    _load_dotenv_file(env_file)
    settings = DbtCloudSettings()
    assert settings.job_id("build_all") == 777
    assert settings.account_id == 2


def test_dotenv_path_defaults_to_the_project_root_and_follows_astro_dotenv_path(monkeypatch, tmp_path):
    monkeypatch.delenv("ASTRO_DOTENV_PATH", raising=False)
    assert _dotenv_path() == PROJECT_ROOT / ".env"
    monkeypatch.setenv("ASTRO_DOTENV_PATH", str(tmp_path / "custom.env"))
    assert _dotenv_path() == Path(tmp_path / "custom.env")


@pytest.mark.skipif(not emulator_available(), reason=NO_EMULATOR_HERE)  # reads the emulator's tenant
def test_defaults_match_the_emulator_tenant_file():
    """The emulator defaults name the demo tenant, and in its default environment each job of
    dbt_cloud_jobs.yml is found by identifier exactly once, under its demo id."""
    import yaml

    tenant = yaml.safe_load((PROJECT_ROOT / "emulator" / "jobs.yaml").read_text())
    jobs = emulator_tenant_jobs()
    assert int(EMULATOR_DEFAULTS["DBT_CLOUD_ACCOUNT_ID"]) == tenant["accounts"][0]["id"]
    project = next(p for p in tenant["projects"] if p["name"] == EMULATOR_DEFAULTS["DBT_CLOUD_PROJECT_NAME"])
    assert project["id"] == int(EMULATOR_DEFAULTS["DBT_CLOUD_PROJECT_ID"])
    environment = next(e for e in tenant["environments"] if e["id"] == int(EMULATOR_DEFAULTS["DBT_CLOUD_ENVIRONMENT_ID"]))
    assert (environment["name"], environment["project_id"]) == (EMULATOR_DEFAULTS["DBT_CLOUD_ENVIRONMENT_NAME"], project["id"])
    found = {identifier: [job_id for job_id, job in jobs.items()
                          if identifier_of(job["name"]) == identifier and job["environment_id"] == environment["id"]]
             for identifier in JOB_ID_VARIABLES}
    assert found == {"build_all": [demo_tenant.BUILD_ALL_JOB_ID], "build_tagged": [demo_tenant.TAGGED_JOB_ID],
                     "build_with_retry": [demo_tenant.LATE_DATA_JOB_ID], "publish_marts": [demo_tenant.PUBLISH_MARTS_JOB_ID]}
    assert jobs[demo_tenant.BUILD_ALL_JOB_ID]["name"] == EMULATOR_DEFAULTS["DBT_CLOUD_JOB_NAME"]
