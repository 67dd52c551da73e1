"""The project started as `astro dev start` starts it (build, up, health, settings), killed at the end."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.docker.report import LINES as REPORT


@contextmanager
def running_project(**options) -> Iterator:
    """An AstroProject on free ports (options: AstroProject's env_file, extra_compose), up and healthy."""
    from docker_stack.astro_dev import AstroProject
    from local_runner.ports import free_port

    project = AstroProject(name=f"astrodbtcloudtest{uuid.uuid4().hex[:8]}", api_server_port=free_port(),
                           postgres_port=free_port(), emulator_port=free_port(), emulator_web_port=free_port(),
                           **options)
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


def killed_leaving_nothing(project) -> bool:
    """`astro dev kill`; True if no container, network or volume of the project is left (else fails naming them)."""
    project.kill()
    left = project.leftovers()
    REPORT.append(f"after `compose down --volumes`: {sum(map(len, left.values()))} containers/networks/volumes left")
    assert left == {"containers": [], "networks": [], "volumes": []}, left
    return True
