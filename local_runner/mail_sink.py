"""A local SMTP server that keeps every mail it receives: where the DAGs' failure mail lands.

aiosmtpd (in the emulator's environment, as the compose service `mail-sink` runs it from the
emulator's image) with its Mailbox handler: each message becomes one file in the Maildir
`<state>/mail/new/`, readable as plain text.
"""

from __future__ import annotations

import os
import socket
import time

from local_runner.config import LocalConfig
from local_runner.emulator import StartError
from local_runner.processes import Component, alive, log_tail, spawn, stop


def component(cfg: LocalConfig) -> Component:
    python = cfg.emulator_venv / "bin" / "python"
    # -n: never setuid to `nobody` (aiosmtpd does that when started as root, then cannot write the Maildir).
    return Component("mail-sink", [str(python), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{cfg.smtp_port}",
                                   "-c", "aiosmtpd.handlers.Mailbox", str(cfg.maildir)])


def answers(cfg: LocalConfig) -> bool:
    """The sink greets like an SMTP server (220) on its port."""
    try:
        with socket.create_connection(("127.0.0.1", cfg.smtp_port), timeout=2) as sock:
            return sock.recv(3) == b"220"
    except OSError:
        return False


def start(cfg: LocalConfig, timeout: float = 30.0) -> int:
    cfg.maildir.parent.mkdir(parents=True, exist_ok=True)
    pid = spawn(cfg, component(cfg), dict(os.environ))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(cfg):
            return pid
        if not alive(pid):
            break
        time.sleep(0.2)
    stop(cfg, component(cfg))
    raise StartError(f"the mail sink did not answer on port {cfg.smtp_port}. The end of its log:\n"
                     f"{log_tail(cfg, component(cfg))}")
