"""airflow_settings.yaml is checked before anything starts, with messages that name the fix."""

from __future__ import annotations

import pytest

from local_runner import settings_file


def _load(tmp_path, text):
    path = tmp_path / "airflow_settings.yaml"
    path.write_text(text)
    return settings_file.load(path)


def test_yaml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(settings_file.SettingsError, match=r"not valid YAML at line 4, column 4.*Fix that line"):
        _load(tmp_path, "airflow:\n  connections:\n    - conn_id: x\n   conn_type: y\n")


def test_missing_required_field_names_the_entry(tmp_path):
    with pytest.raises(settings_file.SettingsError, match=r"connections entry 1 is missing conn_type"):
        _load(tmp_path, "airflow:\n  connections:\n    - conn_id: x\n")


def test_unknown_field_lists_the_allowed_ones(tmp_path):
    with pytest.raises(settings_file.SettingsError, match=r"unknown field\(s\) conn_hots.*Allowed: conn_id"):
        _load(tmp_path, "airflow:\n  connections:\n    - {conn_id: x, conn_type: http, conn_hots: h}\n")


def test_non_integer_port_is_rejected(tmp_path):
    with pytest.raises(settings_file.SettingsError, match=r"conn_port must be a whole number"):
        _load(tmp_path, "airflow:\n  connections:\n    - {conn_id: x, conn_type: http, conn_port: eighty}\n")


def test_missing_file_and_empty_sections_mean_nothing_to_apply(tmp_path):
    assert settings_file.load(tmp_path / "absent.yaml") == settings_file.AirflowSettings([], [], [])
    assert _load(tmp_path, "airflow:\n  connections:\n  pools: []\n") == settings_file.AirflowSettings([], [], [])


def test_compose_service_hosts_mean_localhost_on_their_local_ports():
    ports = {"dbt-cloud-emulator": 9443, "mail-sink": 9025}
    assert settings_file.local_address("dbt-cloud-emulator:8443", None, ports) == ("localhost:9443", None)
    assert settings_file.local_address("mail-sink", 8025, ports) == ("localhost", 9025)
    assert settings_file.local_address("cloud.getdbt.com", None, ports) == ("cloud.getdbt.com", None)
    assert settings_file.local_address("smtp.example.com", 587, ports) == ("smtp.example.com", 587)
    assert settings_file.local_address(None, None, ports) == (None, None)
