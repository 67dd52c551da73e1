"""The distributed stack (celery-distributed.compose.yml) started for its scenarios and the bench, its
redundant services, and which one a hostname is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docker_stack.engine import docker
from tests.docker.soak.test_container_kills import SYNTHETIC, SYNTHETIC_SECONDS
from tests.docker.stack import running_project

WORKERS = ("worker-1", "worker-2")
TRIGGERERS = ("triggerer", "triggerer-2")
SCHEDULERS = ("scheduler", "scheduler-2")


@contextmanager
def running_distributed_stack(env_file: Path) -> Iterator:
    """The stack up and healthy (an AstroProject), killed at the end; the user's .env (env_file, written
    here) names the synthetic job, whose runs the emulator holds until released."""
    from docker_stack.astro_dev import CELERY_DISTRIBUTED_TEMPLATE

    env_file.write_text(f"DBT_CLOUD_JOB_ID={SYNTHETIC}\n")
    emulator = {"environment": {"DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS": str(SYNTHETIC_SECONDS)}}
    with running_project(env_file=env_file, variant_template=CELERY_DISTRIBUTED_TEMPLATE,
                         extra_compose={"services": {"dbt-cloud-emulator": emulator}}) as project:
        yield project


def service_of(astro_project, hostname: str, services: tuple[str, ...]) -> str:
    """The compose service whose container has this hostname (Celery and Airflow's jobs report the container's)."""
    for service in services:
        if docker("inspect", "--format", "{{.Config.Hostname}}", astro_project.container(service)).stdout.strip() == hostname:
            return service
    raise AssertionError(f"{hostname!r} is none of {services}")
