"""Background processes: each in its own session (process group), with a pid file and a log.

Airflow components fork workers and supervisors, and some of them (`airflow standalone` famously)
leave children behind on SIGTERM, so stopping means signalling the whole group, then checking
by the environment marker that no process of this state folder survived. Processes are found and
checked with psutil, which reads the same facts on macOS as on Linux.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

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
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def running_pid(cfg: LocalConfig, component: Component) -> int | None:
    pid_file = component.pid_file(cfg)
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (exited processes not yet reaped do not count)."""
    for proc in psutil.process_iter(["status"]):
        if _pgid(proc.pid) == pgid and proc.info["status"] not in (psutil.STATUS_ZOMBIE, None):
            return True
    return False


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


def stop_tree(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM a process and all its descendants (whatever their group), then SIGKILL what is left."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for send in (psutil.Process.terminate, psutil.Process.kill):
        for proc in tree:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):  # what is left is reported
                send(proc)
        _, tree = psutil.wait_procs(tree, timeout=timeout)
        tree = [proc for proc in tree if alive(proc.pid)]
        if not tree:
            return


def marked_processes(cfg: LocalConfig) -> list[tuple[int, str]]:
    """Every live process started by the runner for this state folder (found by its marker), as
    (pid, command line). psutil reads environments on Linux and macOS alike."""
    found = []
    for proc in psutil.process_iter(["environ", "cmdline", "status"]):
        info = proc.info
        if proc.pid == os.getpid() or info["status"] in (psutil.STATUS_ZOMBIE, None):
            continue
        if (info["environ"] or {}).get(PROCESS_MARKER) == str(cfg.state_dir):
            found.append((proc.pid, " ".join(info["cmdline"] or [])))
    return found


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
