"""The Astro project's files, read: what they pin and wire (tests/docker runs them in a Docker engine)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from include import dbt_cloud
from local_runner import config, settings_file

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ("scheduler", "dag-processor", "api-server", "triggerer")


def _requirements(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} must be pinned with == so builds are repeatable"
            pins[name.lower()] = version
    return pins


def test_dockerfile_pins_the_astro_runtime_3_3_image():
    from_lines = [l for l in (ROOT / "Dockerfile").read_text().splitlines() if l.startswith("FROM ")]
    assert len(from_lines) == 1
    assert re.fullmatch(r"FROM astrocrpublic\.azurecr\.io/runtime:3\.3-\d+", from_lines[0]), from_lines[0]


def test_local_mode_installs_the_images_airflow_and_providers():
    runtime_tag = (ROOT / "Dockerfile").read_text().split("runtime:", 1)[1].split()[0]
    pins = _requirements(ROOT / "local_runner" / f"astro-runtime-{runtime_tag}.txt")
    assert pins["apache-airflow"] == config.AIRFLOW_VERSION
    for provider in ("standard", "openlineage", "common-compat", "common-sql", "common-io", "celery", "smtp", "elasticsearch"):
        assert f"apache-airflow-providers-{provider}" in pins


def test_requirements_add_the_dbt_cloud_provider_and_never_dbt():
    pins = _requirements(ROOT / "requirements.txt")
    assert re.fullmatch(r"4\.11\.\d+", pins["apache-airflow-providers-dbt-cloud"])
    assert "python-dotenv" in pins
    assert not [name for name in pins if name.startswith("dbt-")], "dbt belongs to dbt Cloud (or the emulator), never Airflow's image"


def test_airflow_settings_preconfigure_the_emulator_connection():
    settings = settings_file.load(ROOT / "airflow_settings.yaml")
    (conn,) = [c for c in settings.connections if c["conn_id"] == "dbt_cloud_default"]
    assert conn["conn_type"] == "dbt_cloud"
    assert conn["conn_host"] == f"{config.EMULATOR_SERVICE_NAME}:8443"
    assert int(conn["conn_login"]) > 0, "the provider parses the login as the account id"
    assert conn["conn_password"]


def test_env_example_documents_every_variable_the_dags_read():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = set()
    for path in (ROOT / "include").rglob("*.py"):
        read |= set(re.findall(r"\"((?:DBT_CLOUD|LOCAL)_[A-Z0-9_]+)\"", path.read_text()))
    read -= set(dbt_cloud.__all__)  # the package's public names (its lazy-import table), not variables
    assert read, "the settings module in include/ reads DBT_CLOUD_* variables"
    assert read <= documented, f"document these in .env.example: {sorted(read - documented)}"
    assert "AIRFLOW_CONN_DBT_CLOUD_DEFAULT" in documented


def test_secrets_and_local_state_never_reach_git_or_the_image():
    gitignore = (ROOT / ".gitignore").read_text().splitlines()
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".state/"):
        assert entry in gitignore
    for entry in (".env", ".state", "emulator", ".venv"):
        assert entry in dockerignore


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.override.yml").read_text())


def test_compose_adds_the_emulator_on_the_airflow_network(compose):
    service = compose["services"]["dbt-cloud-emulator"]
    assert service["build"] == "./emulator"
    assert "airflow" in service["networks"]
    assert service["environment"]["DBT_CLOUD_EMULATOR_HOST"] == "0.0.0.0"
    assert service["healthcheck"]["test"]
    assert all(p.startswith("127.0.0.1:") for p in service["ports"]), "publish the emulator on loopback only"


def test_emulator_image_shares_the_airflow_uid_for_the_warehouse_volume():
    dockerfile = ROOT / "emulator" / "Dockerfile"
    if not dockerfile.exists():
        pytest.skip("the emulator's folder is not in this environment (inside the Astro image)")
    lines = dockerfile.read_text().splitlines()
    assert "USER 50000" in lines, "the Astro image's astro user is uid 50000; both must write the warehouse volume"
    assert any(l.startswith("FROM python:3.11") for l in lines)


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_compose_makes_airflow_trust_the_emulator_certificate(compose, name):
    emulator = compose["services"]["dbt-cloud-emulator"]
    tls_volume = next(v.split(":")[0] for v in emulator["volumes"] if v.split(":")[1] == "/state/tls")
    service = compose["services"][name]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in service["volumes"]}
    assert tls_volume in mounts, f"{name} must mount the emulator's TLS volume"
    bundle = f"{mounts[tls_volume]}/trust-bundle.pem"
    assert service["environment"]["REQUESTS_CA_BUNDLE"] == bundle  # sync hook (requests)
    assert service["environment"]["SSL_CERT_FILE"] == bundle  # triggerer (aiohttp)
    assert service["depends_on"]["dbt-cloud-emulator"]["condition"] == "service_healthy"


def test_astro_project_files_exist():
    for path in ("packages.txt", ".astro/config.yaml", "dags", "include", "tests", "README.md", ".env.example"):
        assert (ROOT / path).exists(), path
    assert yaml.safe_load((ROOT / ".astro" / "config.yaml").read_text())["project"]["name"]
