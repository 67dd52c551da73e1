"""Background processes: each in its own session (process group), with a pid file and a log.

Airflow components fork workers and supervisors, and some of them (`airflow standalone` famously)
leave children behind on SIGTERM, so stopping means signalling the whole group, then checking
by the environment marker that no process of this state folder survived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from local_runner.config import PROCESS_MARKER, LocalConfig


@dataclass(frozen=True)
class Component:
    name: str
    argv: list[str]

    def pid_file(self, cfg: LocalConfig) -> Path:
        return cfg.pids_dir / f"{self.name}.pid"

    def log_file(self, cfg: LocalConfig) -> Path:
        return cfg.logs_dir / f"{self.name}.log"


def spawn(cfg: LocalConfig, component: Component, env: dict[str, str]) -> int:
    cfg.pids_dir.mkdir(parents=True, exist_ok=True)
    cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    env = {**env, PROCESS_MARKER: str(cfg.state_dir)}
    with open(component.log_file(cfg), "ab") as log:
        proc = subprocess.Popen(
            component.argv,
            cwd=cfg.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    component.pid_file(cfg).write_text(str(proc.pid))
    return proc.pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def running_pid(cfg: LocalConfig, component: Component) -> int | None:
    pid_file = component.pid_file(cfg)
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return any(not _is_zombie(pid) for pid, _ in _processes_where(lambda p: _pgid(p) == pgid))


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def stop_group(pgid: int, timeout: float = 20.0) -> None:
    """SIGTERM the group, give it `timeout` seconds to exit cleanly, then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _group_alive(pgid):
                return
            time.sleep(0.2)


def _processes_where(predicate) -> list[tuple[int, str]]:
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if pid != os.getpid() and predicate(pid):
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append((pid, cmd))
        except OSError:
            continue
    return found


def marked_processes(cfg: LocalConfig) -> list[tuple[int, str]]:
    """Every live process started by the runner for this state folder (found by its marker)."""
    marker = f"{PROCESS_MARKER}={cfg.state_dir}".encode()

    def has_marker(pid: int) -> bool:
        return marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") and not _is_zombie(pid)

    return _processes_where(has_marker)


def stop(cfg: LocalConfig, component: Component) -> bool:
    """Stop one component's process group; True if something was running."""
    pid = running_pid(cfg, component)
    component.pid_file(cfg).unlink(missing_ok=True)
    if pid is None:
        return False
    stop_group(_pgid(pid) or pid)
    return True


def log_tail(cfg: LocalConfig, component: Component, lines: int = 20, since: int = 0) -> str:
    """The last lines of a component's log, from byte offset `since` (where this start began writing)."""
    try:
        with open(component.log_file(cfg), "rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
    except OSError:
        return "(no log yet)"
    return "\n".join(text.splitlines()[-lines:])
