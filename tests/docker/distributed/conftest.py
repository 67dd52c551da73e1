"""The distributed stack (CeleryExecutor: two workers, two schedulers, two triggerers) for its scenarios,
and the summary line `make test-distributed` ends with."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.docker.distributed.outcomes import SCENARIOS, summary
from tests.docker.distributed.services import SCHEDULERS, TRIGGERERS, WORKERS, running_distributed_stack

HERE = Path(__file__).resolve().parent
# Every DAG by hand and `compose down` come after the scenarios, which run the synthetic job.
LAST_FILE = "test_every_dag.py"
# `make test` runs the short form (about 7 min): the worker kill, then every DAG; `make test-distributed`
# and `make soak` (RELIABILITY_SOAK=1) run every scenario.
SHORT_FORM = ("test_a_killed_worker_s_sync_task_reattaches_on_the_other_worker", LAST_FILE)


def pytest_collection_modifyitems(config, items) -> None:
    here = [i for i, item in enumerate(items) if item.path.parent == HERE]
    ordered = sorted((items[i] for i in here), key=lambda item: item.path.name == LAST_FILE)
    for i, item in zip(here, ordered):
        items[i] = item
    if os.environ.get("RELIABILITY_SOAK") != "1":
        left_out = [item for item in ordered if item.name not in SHORT_FORM and item.path.name not in SHORT_FORM]
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


def pytest_terminal_summary(terminalreporter) -> None:
    if SCENARIOS:
        terminalreporter.section("distributed deployment (CeleryExecutor)")
        terminalreporter.write_line(summary())


@pytest.fixture(scope="package")
def project_env(tmp_path_factory):
    """The user's .env (the synthetic job for the scenarios; test_every_dag.py empties it)."""
    return tmp_path_factory.mktemp("distributed") / ".env"


@pytest.fixture(scope="package")
def astro_project(base_images, project_env):
    with running_distributed_stack(project_env) as project:
        yield project


@pytest.fixture(scope="module")
def emulator(dbt_cloud):
    from dbt_cloud_emulator.pytest_plugin import EmulatorControl

    return EmulatorControl(dbt_cloud.base, dbt_cloud.session.verify)


@pytest.fixture
def twins_started_again(astro_project):
    """After a scenario that kills or stops a worker, triggerer or scheduler, each runs again, even if the
    scenario failed before starting it: the next scenario needs its twins."""
    yield
    for service in (*WORKERS, *TRIGGERERS, *SCHEDULERS):
        astro_project.start_service(service)  # `docker start` of a running container does nothing
