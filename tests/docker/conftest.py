"""The Docker engine, the base images and the running project for tests/docker, and what they report.

The engine is the machine's, or one installed and started here (root on Debian) and stopped at the
end. Without one the tests skip, naming why, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.docker.airflow_rest import AirflowRest
from tests.docker.report import LINES as REPORT
from tests.docker.stack import emulator_api, running_project
from tests.e2e.dbt_cloud_api import DbtCloudApi
from tests.environment import NO_EMULATOR_HERE, ROOT, emulator_available

# soak/ (containers killed mid-run) is long: only `make soak` (RELIABILITY_SOAK=1) collects it.
# distributed/ (the Celery stack) runs its short form otherwise (its conftest.py), except inside the
# Astro image (`astro dev pytest`), which has neither the emulator nor a Docker engine.
collect_ignore = [] if os.environ.get("RELIABILITY_SOAK") == "1" else ["soak"]
if not emulator_available():
    collect_ignore.append("distributed")


def pytest_terminal_summary(terminalreporter) -> None:
    if REPORT:
        terminalreporter.section("astro dev start in Docker")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def docker_engine():
    if not emulator_available():
        pytest.skip(NO_EMULATOR_HERE)  # inside the Astro image: no Docker engine there by design
    from docker_stack.engine import DockerEngine, DockerUnavailable

    engine = DockerEngine(ROOT / ".state" / "docker")
    try:
        engine.ensure()
    except DockerUnavailable as absent:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Docker test, but: {absent}", pytrace=False)
        pytest.skip(f"no Docker engine: {absent}")
    if engine.installed:
        REPORT.append(f"installed from Debian packages: {', '.join(engine.installed)}")
    if engine.daemon:
        REPORT.append("started dockerd for the test (stopped at the end)")
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def base_images(docker_engine) -> dict[str, str]:
    from docker_stack.base_images import ensure_base_images

    started = time.monotonic()
    used = ensure_base_images()
    REPORT.append(f"base images ({time.monotonic() - started:.0f} s):")
    REPORT.extend(f"  {name}: {origin}" for name, origin in used.items())
    return used


@pytest.fixture(scope="module")
def astro_project(base_images):
    """The project built, started as `astro dev start` starts it, settings applied; killed at the end."""
    with running_project() as project:
        yield project


@pytest.fixture(scope="module")
def airflow(astro_project) -> AirflowRest:
    from docker_stack.airflow_settings import token

    return AirflowRest(astro_project.url, token(astro_project.url))


@pytest.fixture(scope="module")
def dbt_cloud(astro_project, tmp_path_factory) -> DbtCloudApi:
    """The emulator's dbt Cloud API through its published port, trusted with the CA it serves."""
    return emulator_api(astro_project, tmp_path_factory.mktemp("emulator-tls"))
