"""The project started as `astro dev start` starts it (build, up, health, settings), killed at the end,
and its emulator's API through the published port."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import yaml
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.docker.report import LINES as REPORT
from tests.e2e.dbt_cloud_api import DbtCloudApi
from tests.environment import ROOT


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


def emulator_api(project, folder: Path) -> DbtCloudApi:
    """The emulator container's dbt Cloud API through its published port, trusted with the CA it serves
    (copied into `folder`), with airflow_settings.yaml's token."""
    from docker_stack.engine import docker

    bundle = folder / "emulator-trust-bundle.pem"
    docker("cp", f"{project.container('dbt-cloud-emulator')}:/state/tls/trust-bundle.pem", str(bundle))
    conn = next(c for c in yaml.safe_load((ROOT / "airflow_settings.yaml").read_text())["airflow"]["connections"]
                if c["conn_id"] == "dbt_cloud_default")
    api = DbtCloudApi(SimpleNamespace(url=f"https://localhost:{project.emulator_port}",
                                      token=conn["conn_password"], trust_bundle=bundle))
    api.session.trust_env = False  # a REQUESTS_CA_BUNDLE in the environment (tests/conftest.py sets one) would win
    # Reads are retried, as AirflowRest's: a poll every 5 s meets uvicorn's 5 s keep-alive closing the connection.
    api.session.mount("https://", HTTPAdapter(max_retries=Retry(total=3, backoff_factor=1, allowed_methods=["GET"])))
    return api
