"""The distributed stack's redundant services (celery-distributed.compose.yml), and which one a hostname is."""

from __future__ import annotations

from docker_stack.engine import docker

WORKERS = ("worker-1", "worker-2")
TRIGGERERS = ("triggerer", "triggerer-2")
SCHEDULERS = ("scheduler", "scheduler-2")


def service_of(astro_project, hostname: str, services: tuple[str, ...]) -> str:
    """The compose service whose container has this hostname (Celery and Airflow's jobs report the container's)."""
    for service in services:
        if docker("inspect", "--format", "{{.Config.Hostname}}", astro_project.container(service)).stdout.strip() == hostname:
            return service
    raise AssertionError(f"{hostname!r} is none of {services}")
