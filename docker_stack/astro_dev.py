"""The project as `astro dev start / pytest / parse / kill` run it, with the compose file the CLI generates.

Mirrors astro-cli v1.45.0 (airflow/docker.go, airflow/docker_image.go): build the project image from
the Dockerfile, compose up the generated file merged with docker-compose.override.yml, poll
/api/v2/monitor/health every second, apply airflow_settings.yaml through the REST API; pytest and
parse run `pytest <file>` in a container of the project image with dags, tests, plugins, include
and .astro docker-cp'd into /usr/local/airflow.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import requests
import yaml

from docker_stack import airflow_settings
from docker_stack.engine import compose_command, docker

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEMPLATE = Path(__file__).resolve().parent / "astro-cli-airflow3.compose.yml"
# The distributed variant (CeleryExecutor, two workers, schedulers and triggerers), merged after the override.
CELERY_DISTRIBUTED_TEMPLATE = Path(__file__).resolve().parent / "celery-distributed.compose.yml"
SETTINGS_FILE = "airflow_settings.yaml"
PYTEST_COPIED_DIRS = ("dags", "tests", "plugins", "include", ".astro")
DAG_INTEGRITY_TEST = ".astro/test_dag_integrity_default.py"
# The emulator's published ports (API, run pages): docker-compose.override.yml reads them (8443, 8444).
EMULATOR_PORT_VARIABLES = ("DBT_CLOUD_EMULATOR_PUBLISHED_PORT", "DBT_CLOUD_EMULATOR_PUBLISHED_WEB_PORT")
# Which engine compose talks to: the same one as the docker CLI (a colima or remote engine, the bench's own).
ENGINE_VARIABLES = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


def cli_image_name(root: Path = ROOT) -> str:
    """The CLI's project image name: <project.name>_<md5(project dir)[:6]>/airflow:latest."""
    project = yaml.safe_load((root / ".astro" / "config.yaml").read_text())["project"]["name"]
    return f"{project}_{hashlib.md5(str(root).encode()).hexdigest()[:6]}/airflow:latest"


@dataclass
class PytestResult:
    exit_code: int
    output: str

    @property
    def summary(self) -> str:
        """pytest's last line, e.g. `12 passed, 3 skipped in 40.1s`."""
        lines = [line.strip("= ") for line in self.output.splitlines() if line.startswith("=")]
        return lines[-1] if lines else "(no pytest summary)"

    @property
    def skip_reasons(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.startswith("SKIPPED")]


@dataclass
class AstroProject:
    """One compose project of the Astro CLI's topology, on chosen published ports."""

    name: str
    api_server_port: int
    postgres_port: int
    emulator_port: int
    emulator_web_port: int
    root: Path = ROOT
    env_file: Path | None = None  # the CLI adds `env_file: .env` when the project has one
    # A third compose file, merged last, for settings only a test needs (the emulator's synthetic wait).
    extra_compose: dict | None = None
    # A compose template merged after the override, filled in as the CLI's (CELERY_DISTRIBUTED_TEMPLATE).
    variant_template: Path | None = None
    image: str = field(default="")
    compose_file: Path = field(default=Path())

    def __post_init__(self) -> None:
        self.image = self.image or cli_image_name(self.root)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        self.compose_file = self.workdir / "docker-compose.yml"
        self.compose_file.write_text(self.generated_compose())
        self.compose_files = [self.compose_file, self.root / "docker-compose.override.yml"]
        if self.variant_template:
            self.compose_files.append(self.workdir / self.variant_template.name)
            self.compose_files[-1].write_text(self.generated_compose(self.variant_template))
        if self.extra_compose:
            self.compose_files.append(self.workdir / "docker-compose.test.yml")
            self.compose_files[-1].write_text(yaml.safe_dump(self.extra_compose))

    @property
    def url(self) -> str:
        return f"http://localhost:{self.api_server_port}"

    def generated_compose(self, template: Path = COMPOSE_TEMPLATE) -> str:
        settings = self.root / SETTINGS_FILE
        return Template(template.read_text()).substitute(
            project_name=self.name, airflow_image=self.image, airflow_home=str(self.root),
            postgres_port=self.postgres_port, api_server_port=self.api_server_port,
            settings_file_volume=f"- {settings}:/usr/local/airflow/{SETTINGS_FILE}:z" if settings.exists() else "",
            env_file=f"env_file: {self.env_file}" if self.env_file and self.env_file.exists() else "",
        )

    def _compose_run(self, args: tuple[str, ...], timeout: float | None) -> subprocess.CompletedProcess:
        argv = [*compose_command(), "--project-name", self.name, "--project-directory", str(self.root),
                *(arg for path in self.compose_files for arg in ("-f", str(path))), *args]
        # The emulator's ports come from here, in a clean environment (not from the shell or a .env).
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               **{name: os.environ[name] for name in ENGINE_VARIABLES if name in os.environ},
               **dict(zip(EMULATOR_PORT_VARIABLES, (str(self.emulator_port), str(self.emulator_web_port))))}
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=self.workdir)

    def compose(self, *args: str, timeout: float | None = 900) -> subprocess.CompletedProcess:
        done = self._compose_run(args, timeout)
        if done.returncode != 0:
            raise RuntimeError(f"compose {' '.join(args)} failed (exit {done.returncode}):\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    # -- astro dev start --------------------------------------------------------------------------
    def build(self) -> None:
        """The project image (Dockerfile and its base's ONBUILD steps) and the override's emulator image."""
        docker("build", "-t", self.image, str(self.root), timeout=1800)
        self.compose("build", "dbt-cloud-emulator", timeout=1800)

    def up(self) -> None:
        self.compose("up", "-d")

    def wait_healthy(self, timeout: float = 240) -> None:
        """Poll /api/v2/monitor/health every second until 200, as the CLI does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise TimeoutError(f"the api-server health check timed out after {timeout:.0f} s:\n{self.logs()}")

    def apply_settings(self) -> list[str]:
        return airflow_settings.apply(self.root / SETTINGS_FILE, self.url)

    def logs(self, *services: str, tail: int = 60) -> str:
        return self._compose_run(("logs", "--no-color", f"--tail={tail}", *services), 120).stdout[-8000:]

    def container(self, service: str) -> str:
        return self.compose("ps", "-a", "-q", service).stdout.strip()  # -a: a killed one too (compose v2)

    # -- a crash of one service (SIGKILL) or its stop (SIGTERM), then start again --------------------
    def kill_service(self, service: str) -> str:
        container = self.container(service)
        docker("kill", container)
        return container

    def stop_service(self, service: str, grace_seconds: int) -> subprocess.Popen:
        """`docker stop` begun (SIGTERM, SIGKILL after grace_seconds), as a deploy or an autoscaler stops a
        worker; wait() on it for the container to have exited."""
        return subprocess.Popen(["docker", "stop", "--time", str(grace_seconds), self.container(service)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def start_service(self, service: str) -> None:
        docker("start", self.container(service), timeout=300)

    # -- astro dev kill (stop, then remove containers, network and volumes) -----------------------
    def kill(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans")

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label=com.docker.compose.project={self.name}"
        return {kind: docker(*cmd, "--filter", label, "--format", "{{.Name}}" if kind != "containers" else "{{.Names}}").stdout.split()
                for kind, cmd in (("containers", ("ps", "-a")), ("networks", ("network", "ls")),
                                  ("volumes", ("volume", "ls")))}

    # -- astro dev pytest / parse -----------------------------------------------------------------
    def pytest(self, target: str = "tests/") -> PytestResult:
        """`astro dev pytest` (or parse with DAG_INTEGRITY_TEST): a fresh container, the folders copied in."""
        container = f"{self.name}-astro-pytest"
        docker("rm", "-f", container, check=False)
        docker("create", "-i", "--name", container, self.image, "pytest", target)
        try:
            for folder in PYTEST_COPIED_DIRS:
                if (self.root / folder).exists():
                    docker("cp", str(self.root / folder), f"{container}:/usr/local/airflow/")
            run = docker("start", "-a", container, check=False, timeout=900)
            code = int(docker("inspect", container, "--format={{.State.ExitCode}}").stdout.strip())
            return PytestResult(code, run.stdout + run.stderr)
        finally:
            docker("rm", "-f", container, check=False)

    def parse(self) -> PytestResult:
        if not (self.root / DAG_INTEGRITY_TEST).exists():
            return PytestResult(-1, f"The file {DAG_INTEGRITY_TEST} which is needed for `astro dev parse` does not exist. "
                                    "Please run `astro dev init` to create it")
        return self.pytest(DAG_INTEGRITY_TEST)
