"""The dbt Cloud settings module: what it requires, its messages, .env. It has no defaults of its own:
the demo tenant's settings come from the launchers (tests/local_runner/test_demo_settings.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from include.dbt_cloud.config import (
    _JOB_ID_VARIABLES as JOB_ID_VARIABLES,
    _PROJECT_ROOT as PROJECT_ROOT,
    DbtCloudSettings,
    DbtCloudSettingsError,
    _dotenv_path,
    _load_dotenv_file,
)
from include.dbt_cloud.operators import _identifier_of
from local_runner import demo_tenant
from tests.environment import NO_EMULATOR_HERE, emulator_available, emulator_tenant_jobs

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


@pytest.mark.parametrize("environ", [{}, REAL_CLOUD])
def test_nothing_set_means_no_account_and_jobs_found_by_identifier_in_the_whole_account(environ):
    # No connection variable: the connection may be in the metadata DB or a secrets backend.
    settings = DbtCloudSettings(environ)
    assert settings.conn_id == "dbt_cloud_default"
    assert (settings.project_id, settings.environment_id) == (None, None)
    assert unpinned(settings) == TAGS
    with pytest.raises(DbtCloudSettingsError) as raised:
        settings.account_id
    assert str(raised.value).startswith("DBT_CLOUD_ACCOUNT_ID is not set: add DBT_CLOUD_ACCOUNT_ID=<account id> to .env")


def test_the_package_names_no_demo_value():
    """Whatever the environment says of the emulator, the package gives no demo id or name."""
    demo = demo_tenant.dag_settings()
    for environ in ({}, {"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": json.dumps({"conn_type": "dbt_cloud", "host": "localhost"})},
                    {"DBT_CLOUD_USE_EMULATOR": "true"}):
        settings = DbtCloudSettings(environ)
        for prop, variable in NAME_PROPERTIES.items():
            with pytest.raises(DbtCloudSettingsError, match=f"^{variable} is not set"):
                getattr(settings, prop)
        assert str(settings.project_id) != demo["DBT_CLOUD_PROJECT_ID"]


@pytest.mark.parametrize(("prop", "variable"), [("account_id", "DBT_CLOUD_ACCOUNT_ID"), *NAME_PROPERTIES.items()])
def test_real_dbt_cloud_requires_the_account_id_and_the_names(prop, variable):
    with pytest.raises(DbtCloudSettingsError) as raised:
        getattr(DbtCloudSettings(REAL_CLOUD), prop)
    message = str(raised.value)
    assert message.startswith(f"{variable} is not set: add {variable}=<")
    assert "to .env" in message
    assert "dbtc_secret" not in message


def test_real_dbt_cloud_needs_no_job_id_nor_lookup_scope():
    settings = DbtCloudSettings(REAL_CLOUD)
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
def test_set_but_empty_is_an_error(variable):
    names = {v: p for p, v in NAME_PROPERTIES.items()}
    with pytest.raises(DbtCloudSettingsError, match=f"^{variable} is set but empty: set {variable}=<"):
        settings = DbtCloudSettings({variable: "  "})
        getattr(settings, names[variable]) if variable in names else read_id(settings, variable)


def test_ids_tolerate_surrounding_spaces():
    assert DbtCloudSettings({"DBT_CLOUD_JOB_ID": " 42 "}).job_id("build_all") == 42


def test_an_empty_conn_id_means_the_default():
    assert DbtCloudSettings({"DBT_CLOUD_CONN_ID": " "}).conn_id == "dbt_cloud_default"


def test_one_bad_value_does_not_spoil_the_others():
    settings = DbtCloudSettings({"DBT_CLOUD_ACCOUNT_ID": "12", "DBT_CLOUD_TAGGED_JOB_ID": "nope"})
    assert (settings.account_id, settings.job_id("build_all")) == (12, "[[build_all]]")
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
def test_the_demo_settings_find_each_job_once_in_the_demo_environment():
    """Under the demo tenant's settings (what the launchers give), each job of dbt_cloud_jobs.yml is found by
    identifier exactly once, under its demo id; the name-lookup DAG's names name the build_all job."""
    demo = DbtCloudSettings(demo_tenant.dag_settings())
    jobs = emulator_tenant_jobs()
    found = {identifier: [job_id for job_id, job in jobs.items()
                          if _identifier_of(job["name"]) == identifier and job["environment_id"] == demo.environment_id]
             for identifier in JOB_ID_VARIABLES}
    assert found == {"build_all": [demo_tenant.BUILD_ALL_JOB_ID], "build_tagged": [demo_tenant.TAGGED_JOB_ID],
                     "build_with_retry": [demo_tenant.LATE_DATA_JOB_ID], "publish_marts": [demo_tenant.PUBLISH_MARTS_JOB_ID]}
    assert jobs[demo_tenant.BUILD_ALL_JOB_ID]["name"] == demo.job_name
