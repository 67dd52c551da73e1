"""airflow_settings.yaml is checked before anything starts, with messages that name the fix, then applied
as the Astro CLI applies it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local_runner import settings_file
from local_runner.config import PROJECT_ROOT


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


class _FakeAirflowApi(BaseHTTPRequestHandler):
    """Airflow's REST API as the settings applier meets it: a token, then POST (409 if it exists) and PATCH."""

    stored: dict[str, dict] = {}
    calls: list[tuple[str, str, int]] = []

    def _answer(self, status: int, body: dict) -> None:
        self.calls.append((self.command, self.path, status))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        if self.path == "/auth/token":
            return self._answer(201, {"access_token": "t"})
        key = f"{self.path}/{body.get('connection_id') or body.get('key') or body.get('name')}"
        if key in self.stored:
            return self._answer(409, {"detail": "exists"})
        self.stored[key] = body
        self._answer(201, body)

    def do_PATCH(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.stored[self.path.split("?")[0]] = body
        self._answer(200, body)

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not (PROJECT_ROOT / "docker_stack").is_dir(),
                    reason="docker_stack/ (the Astro path's host tooling, which applies the file) is not in the Astro "
                           "image (.dockerignore): run `make test` on the host to run this test")
def test_make_start_applies_the_file_as_the_astro_cli_does_create_first_then_update(tmp_path):
    settings = _load(tmp_path, "airflow:\n  connections:\n    - {conn_id: dbt, conn_type: dbt_cloud, "
                               "conn_host: 'dbt-cloud-emulator:8443', conn_login: '1', conn_description: d}\n"
                               "  variables:\n    - {variable_name: who, variable_value: me}\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeAirflowApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        first = settings_file.apply(settings, base, {"dbt-cloud-emulator": 9443})
        first_calls, _FakeAirflowApi.calls[:] = list(_FakeAirflowApi.calls), []
        again = settings_file.apply(settings, base, {"dbt-cloud-emulator": 9443})
    finally:
        server.shutdown()
    assert first == again == ["Added Variable: who", "Added Connection: dbt"]
    assert [c for c in first_calls if c[1] != "/auth/token"] == [
        ("POST", "/api/v2/variables", 201), ("POST", "/api/v2/connections", 201)]
    assert [c for c in _FakeAirflowApi.calls if c[1] != "/auth/token"] == [
        ("POST", "/api/v2/variables", 409), ("PATCH", "/api/v2/variables/who", 200),
        ("POST", "/api/v2/connections", 409), ("PATCH", "/api/v2/connections/dbt", 200)]
    assert _FakeAirflowApi.stored["/api/v2/connections/dbt"] == {
        "connection_id": "dbt", "conn_type": "dbt_cloud", "host": "localhost:9443", "login": "1"}
