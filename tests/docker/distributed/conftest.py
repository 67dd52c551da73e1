"""The distributed stack (CeleryExecutor: two workers, two schedulers, two triggerers) for its scenarios,
and the summary line `make test-distributed` ends with."""

from __future__ import annotations

import pytest

from tests.docker.distributed.outcomes import SCENARIOS, summary
from tests.docker.stack import running_project
from tests.docker.soak.test_container_kills import SYNTHETIC, SYNTHETIC_SECONDS


def pytest_terminal_summary(terminalreporter) -> None:
    if SCENARIOS:
        terminalreporter.section("distributed deployment (CeleryExecutor)")
        terminalreporter.write_line(summary())


@pytest.fixture(scope="package")
def project_env(tmp_path_factory):
    """The user's .env: the synthetic job for the scenarios (runs held until released)."""
    env_file = tmp_path_factory.mktemp("distributed") / ".env"
    env_file.write_text(f"DBT_CLOUD_JOB_ID={SYNTHETIC}\n")
    return env_file


@pytest.fixture(scope="package")
def astro_project(base_images, project_env):
    from docker_stack.astro_dev import CELERY_DISTRIBUTED_TEMPLATE

    emulator = {"environment": {"DBT_CLOUD_EMULATOR_SYNTHETIC_SECONDS": str(SYNTHETIC_SECONDS)}}
    with running_project(env_file=project_env, variant_template=CELERY_DISTRIBUTED_TEMPLATE,
                         extra_compose={"services": {"dbt-cloud-emulator": emulator}}) as project:
        yield project
