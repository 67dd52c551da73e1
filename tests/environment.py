"""What tests rely on without side effects: where the emulator exists (the host, not the Astro image), and a handle on a running one."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NO_EMULATOR_HERE = (
    "the dbt Cloud emulator is not in this environment (inside the Astro image, `astro dev pytest` "
    "has neither the emulator nor dbt, by design): run `make test` on the host to run this test"
)


def emulator_available() -> bool:
    return (ROOT / "emulator" / "pyproject.toml").exists()


EMULATOR_TOKEN = "dbtc_emulator_local_token"
EMULATOR_ACCOUNT_ID = 12345


@dataclass
class Emulator:
    """A running emulator process: its addresses, credentials and controls."""

    cfg: object  # local_runner.config.LocalConfig
    token: str = EMULATOR_TOKEN
    account_id: int = EMULATOR_ACCOUNT_ID

    @property
    def port(self) -> int:
        return self.cfg.emulator_port

    @property
    def host(self) -> str:
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        return self.cfg.emulator_url

    @property
    def state_dir(self) -> Path:
        return self.cfg.emulator_state_dir

    @property
    def warehouse_dir(self) -> Path:
        return self.cfg.warehouse_dir

    @property
    def trust_bundle(self) -> Path:
        return self.cfg.trust_bundle

    @property
    def connection_json(self) -> str:
        return json.dumps({"conn_type": "dbt_cloud", "host": self.host, "login": str(self.account_id),
                           "password": self.token})

    def start(self) -> None:
        from local_runner import emulator

        emulator.start(self.cfg)

    def stop(self) -> None:
        from local_runner import emulator, processes

        processes.stop(self.cfg, emulator.component(self.cfg))

    def kill(self) -> None:
        """SIGKILL the emulator's whole process group, as a crash would."""
        import signal

        from local_runner import emulator, processes

        pid = processes.running_pid(self.cfg, emulator.component(self.cfg))
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
            processes.stop_group(pid, timeout=5)
