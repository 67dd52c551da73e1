"""The local runner's configuration: every path, port and pin in one typed place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from local_runner.ports import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The Airflow version inside the pinned Astro Runtime image (Dockerfile), and the providers
# that image preinstalls, so local mode runs what the image runs.
AIRFLOW_VERSION = "3.3.2"
PYTHON_VERSION = "3.11"

# Marks every process the runner starts (children inherit it), so `stop` can prove none is left.
PROCESS_MARKER = "ASTRO_DBT_CLOUD_LOCAL_STATE"

# The compose service names of the emulator and the mail sink in docker-compose.override.yml. Local
# mode has no compose network, so airflow_settings.yaml hosts with those names are applied as localhost.
EMULATOR_SERVICE_NAME = "dbt-cloud-emulator"
MAIL_SINK_SERVICE_NAME = "mail-sink"


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"{name}={raw!r} is not a port number: set it to an integer from 1 to 65535, or unset it.")
    return int(raw)


@dataclass(frozen=True)
class LocalConfig:
    root: Path = PROJECT_ROOT
    airflow_port: int = field(default_factory=lambda: _port("LOCAL_AIRFLOW_PORT", 8080))
    emulator_port: int = field(default_factory=lambda: _port("DBT_CLOUD_EMULATOR_PORT", 8443))
    # The emulator's run pages (what "Monitor Job Run" opens), over plain HTTP: no certificate warning.
    emulator_web_port: int = field(default_factory=lambda: _port("DBT_CLOUD_EMULATOR_WEB_PORT", 8444))
    # The local SMTP server that receives the DAGs' failure mail (local_runner/mail_sink.py).
    smtp_port: int = field(default_factory=lambda: _port("LOCAL_SMTP_PORT", 8025))
    state_dir: Path = field(default_factory=lambda: Path(os.environ.get("LOCAL_STATE_DIR", PROJECT_ROOT / ".state")).resolve())
    # A laptop-sized LocalExecutor: Airflow's default parallelism starts 32 worker processes.
    parallelism: int = 4


    @classmethod
    def isolated(cls, state_dir: Path, **overrides) -> LocalConfig:
        """For tests and benches: its own state folder and free ports, never those of `make start`."""
        ports = {"airflow_port": free_port(), "emulator_port": free_port(), "emulator_web_port": free_port(),
                 "smtp_port": free_port()}
        return cls(state_dir=state_dir, **{**ports, **overrides})

    @property
    def dotenv(self) -> Path:
        """The user's .env; tests point ASTRO_DOTENV_PATH elsewhere so a developer's .env never leaks in."""
        return Path(os.environ.get("ASTRO_DOTENV_PATH") or self.root / ".env")

    @property
    def airflow_home(self) -> Path:
        return self.state_dir / "airflow"

    @property
    def emulator_state_dir(self) -> Path:
        return self.state_dir / "emulator"

    @property
    def warehouse_dir(self) -> Path:
        return self.state_dir / "warehouse"

    @property
    def maildir(self) -> Path:
        """Where the mail sink keeps what it receives (a Maildir: one file per message in new/)."""
        return self.state_dir / "mail"

    @property
    def service_ports(self) -> dict[str, int]:
        """The port on this machine of each compose service that airflow_settings.yaml names."""
        return {EMULATOR_SERVICE_NAME: self.emulator_port, MAIL_SINK_SERVICE_NAME: self.smtp_port}

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pids_dir(self) -> Path:
        return self.state_dir / "pids"

    @property
    def trust_bundle(self) -> Path:
        return self.emulator_state_dir / "tls" / "trust-bundle.pem"

    @property
    def airflow_venv(self) -> Path:
        return self.root / ".venv"

    @property
    def emulator_venv(self) -> Path:
        return self.root / "emulator" / ".venv"

    @property
    def airflow_url(self) -> str:
        return f"http://localhost:{self.airflow_port}"

    @property
    def emulator_url(self) -> str:
        return f"https://localhost:{self.emulator_port}"

    @property
    def emulator_web_url(self) -> str:
        return f"http://localhost:{self.emulator_web_port}"
