"""How local_runner finds, checks and stops its processes: psutil calls that read the same on macOS as
on Linux (CI runs Linux; nothing here reads Linux's /proc, so macOS runs the same code)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from local_runner.config import PROJECT_ROOT, LocalConfig
from local_runner.processes import Component, alive, marked_processes, spawn, stop
from local_runner.stack import stop_all

# A parent that starts a child in a session of its own (as Airflow's workers can), then both sleep.
PARENT_WITH_DETACHED_CHILD = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True); "
    "time.sleep(300)"
)


def test_local_runner_does_not_read_proc():
    readers = [path.name for path in (PROJECT_ROOT / "local_runner").glob("*.py") if "/proc" in path.read_text()]
    assert readers == []


def test_an_exited_unreaped_child_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child.pid), "an exited child (a zombie until reaped) counts as stopped"
    child.wait()


def test_stop_finds_a_detached_child_by_its_marker_and_ends_it(tmp_path):
    cfg = LocalConfig(state_dir=tmp_path)
    sleeper = Component("sleeper", [sys.executable, "-c", PARENT_WITH_DETACHED_CHILD])
    parent = spawn(cfg, sleeper, {"PATH": "/usr/bin:/bin"})
    try:
        deadline = time.monotonic() + 30
        while len(marked_processes(cfg)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        found = dict(marked_processes(cfg))
        assert parent in found and len(found) == 2, found
        assert "time.sleep(300)" in found[parent]

        stop(cfg, sleeper)  # its group: the parent; the child has a session of its own
        assert [pid for pid in dict(marked_processes(cfg)) if pid != parent], "the detached child survives its group"
        stop_all(cfg)  # finds the child by its marker and ends its tree
        assert marked_processes(cfg) == []
    finally:
        for pid in dict(marked_processes(cfg)):
            os.kill(pid, signal.SIGKILL)
