"""The Docker engine, the base images and the running project for tests/docker, and what they report.

The engine is the machine's, or one installed and started here (root on Debian) and stopped at the
end. Without one the tests skip, naming why, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from tests.docker.report import LINES as REPORT
from tests.environment import NO_EMULATOR_HERE, ROOT, emulator_available


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
    from docker_stack.astro_dev import AstroProject
    from local_runner.ports import free_port

    project = AstroProject(name=f"astrodbtcloudtest{uuid.uuid4().hex[:8]}", api_server_port=free_port(),
                           postgres_port=free_port(), emulator_port=free_port(), emulator_web_port=free_port())
    try:
        started = time.monotonic()
        project.build()
        REPORT.append(f"images built in {time.monotonic() - started:.0f} s: {project.image}, the emulator's")
        started = time.monotonic()
        project.up()
        project.wait_healthy()
        project.healthy_after = time.monotonic() - started
        REPORT.append(f"healthy {project.healthy_after:.0f} s after `up` ({project.url}/api/v2/monitor/health)")
        for line in project.apply_settings():
            REPORT.append(f"  airflow_settings.yaml: {line}")
        yield project
    finally:
        project.kill()
