"""The emulator as a server: loopback only in local mode, no path out of a run's folder, no 500 under fuzzing."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests

from tests.environment import ROOT

# Host-side fuzzing tools (tests/requirements.txt, installed by `make install`): the Astro image that
# `astro dev pytest` runs has neither them nor the emulator, so there this module skips, saying so.
HOST_TOOL = "{} is a host-side test tool (tests/requirements.txt), not in the Astro image: run `make test` on the host"
schemathesis = pytest.importorskip("schemathesis", reason=HOST_TOOL.format("schemathesis"))
pytest.importorskip("hypothesis", reason=HOST_TOOL.format("hypothesis"))
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.reliability.emulator_control import start_spare_emulator

pytestmark = pytest.mark.e2e
SYNTHETIC = 999
TAGGED = 222
LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp[6] shows them) of sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.partition(":")
                if int(hex_port, 16) == port and state == LISTEN:
                    found.add(address)
    return found


def test_local_mode_listens_on_loopback_only(emulator):
    assert listening_addresses(emulator.port) == {"0100007F"}  # 127.0.0.1, nothing on 0.0.0.0 or ::
    default = subprocess.run(
        [str(ROOT / "emulator/.venv/bin/python"), "-c", "from dbt_cloud_emulator.settings import Settings; print(Settings().host)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert default == "127.0.0.1"  # `serve` without --host, too


@pytest.fixture(scope="module")
def run_with_artifacts(emulator) -> int:
    """A short real run (job 222, `dbt parse`) that has artifacts on disk."""
    from tests.e2e.dbt_cloud_api import DbtCloudApi

    api = DbtCloudApi(emulator)
    body = {"cause": "artifact path tests", "steps_override": ["dbt parse"]}
    run = api._call("POST", f"/api/v2/accounts/12345/jobs/{TAGGED}/run/", json=body).json()["data"]
    assert api.wait_until_finished(run["id"])["status"] == 10
    return run["id"]


@pytest.mark.parametrize(
    "path",
    ["../../../emulator.sqlite3", "..%2F..%2F..%2Femulator.sqlite3", "%2e%2e/%2e%2e/%2e%2e/emulator.sqlite3",
     "%2E%2E%2F%2E%2E%2Fsteps", "compiled/../../../../tls/ca-key.pem", "/etc/passwd", "%2Fetc%2Fpasswd",
     "..\\..\\emulator.sqlite3", "manifest.json%00.txt"],
)
def test_artifact_paths_cannot_leave_the_runs_folder(emulator, run_with_artifacts, path):
    url = f"{emulator.url}/api/v2/accounts/12345/runs/{run_with_artifacts}/artifacts/{path}"
    response = requests.get(url, headers={"Authorization": f"Token {emulator.token}"},
                            verify=str(emulator.trust_bundle), timeout=30)
    assert response.status_code in (400, 404), response.text[:300]
    assert "SQLite format" not in response.text and "PRIVATE KEY" not in response.text and "root:" not in response.text


def test_a_real_artifact_is_still_served(dbt_cloud, run_with_artifacts):
    assert dbt_cloud.artifact(run_with_artifacts, "manifest.json")["metadata"]["dbt_schema_version"]


@pytest.fixture(scope="module")
def fuzz_target(emulator, tmp_path_factory):
    """A throwaway emulator to fuzz (runs it creates are synthetic and end in a second)."""
    spare = start_spare_emulator(emulator, tmp_path_factory.mktemp("fuzzed"), SYNTHETIC_SECONDS="1")
    try:
        yield spare
    finally:
        spare.stop()


def test_no_operation_answers_500_to_generated_requests(fuzz_target):
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_url(f"{fuzz_target.url}/_emulator/openapi.json", verify=str(fuzz_target.trust_bundle))
    # Fault settings would make later answers fail on purpose; everything else is fair game.
    operations = [result.ok() for result in schema.exclude(path="/_emulator/faults").get_all_operations()]
    assert len(operations) > 20

    @given(data=st.data())
    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    def call_any_operation(data):
        case = data.draw(data.draw(st.sampled_from(operations)).as_strategy())
        case.call_and_validate(
            base_url=fuzz_target.url, headers={"Authorization": f"Token {fuzz_target.token}"},
            verify=str(fuzz_target.trust_bundle), checks=[not_a_server_error], timeout=30,
        )

    call_any_operation()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                    max_leaves=8)
TRIGGER_FIELDS = st.sampled_from(["cause", "steps_override", "schema_override", "threads_override", "git_sha",
                                  "generate_docs_override", "timeout_seconds_override", "dbt_version_override"])
QUERY_NAMES = st.sampled_from(["limit", "offset", "order_by", "status", "status__in", "include_related",
                               "job_definition_id", "project_id", "environment_id", "step", "name__icontains",
                               "pk__in", "id__gt", "created_at__range", "finished_at__range", "state",
                               "has_docs_generated", "dbt_version__in", "triggers_schedule"])


@given(body=st.one_of(JSON, st.dictionaries(TRIGGER_FIELDS, JSON, max_size=5), st.binary(max_size=50)))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_trigger_bodies_never_cause_a_500(fuzz_target, body):
    data = body if isinstance(body, bytes) else json.dumps(body)
    response = requests.post(f"{fuzz_target.url}/api/v2/accounts/12345/jobs/{SYNTHETIC}/run/", data=data,
                             headers={"Authorization": f"Token {fuzz_target.token}", "Content-Type": "application/json"},
                             verify=str(fuzz_target.trust_bundle), timeout=30)
    assert response.status_code < 500, response.text[:300]


@given(params=st.lists(st.tuples(QUERY_NAMES, st.text(max_size=12)), max_size=5),
       path=st.sampled_from(["runs/", "jobs/", "runs/1/", "runs/1/artifacts/", "runs/1/artifacts/manifest.json"]))
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_query_parameters_never_cause_a_500(fuzz_target, params, path):
    response = requests.get(f"{fuzz_target.url}/api/v2/accounts/12345/{path}", params=params,
                            headers={"Authorization": f"Token {fuzz_target.token}"},
                            verify=str(fuzz_target.trust_bundle), timeout=30)
    assert response.status_code < 500, response.text[:300]


def test_the_fuzzed_emulator_is_still_healthy(fuzz_target):
    assert fuzz_target.is_healthy()


@pytest.mark.parametrize("path", ["/deploy/12345/projects/70001/runs/42348271206564634624/",
                                  "/api/v2/accounts/12345/runs/42348271206564634624/",
                                  "/api/v2/accounts/12345/runs/?job_definition_id=42348271206564634624"])
def test_ids_too_big_for_sqlite_are_not_found_rather_than_a_500(emulator, path):
    # The fuzzer's first find: an id past 2**63 crashed the SQLite lookup.
    response = requests.get(f"{emulator.url}{path}", headers={"Authorization": f"Token {emulator.token}"},
                            verify=str(emulator.trust_bundle), timeout=30)
    assert response.status_code in (400, 404), response.text[:300]
