"""A Docker engine for the test: the machine's own, or one installed from Debian packages and started here.

On a machine with a Docker CLI but no daemon (as CI here: root on Debian, no dockerd), installing
docker.io, docker-compose and debootstrap and starting dockerd is what a person would do; the
engine started here is stopped again at the end. Elsewhere without Docker there is nothing to use,
and `DockerUnavailable` names why.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

DEBIAN_PACKAGES = ("docker.io", "docker-compose", "debootstrap")
DAEMON_START_TIMEOUT = 60


class DockerUnavailable(RuntimeError):
    """No Docker engine can be had on this machine; the message says why."""


def docker(*args: str, check: bool = True, capture: bool = True, timeout: float | None = None,
           input: str | None = None) -> subprocess.CompletedProcess:
    """Run the docker CLI; on failure the error carries its output."""
    done = subprocess.run(["docker", *args], capture_output=capture, text=True, timeout=timeout, input=input)
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed (exit {done.returncode}):\n"
                           f"{(done.stdout or '')[-3000:]}\n{(done.stderr or '')[-3000:]}")
    return done


def engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def compose_command() -> list[str]:
    """`docker compose` (v2) where installed, else docker-compose 1.29 (Debian's; it merges -f files alike)."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise DockerUnavailable("neither `docker compose` nor docker-compose is installed")


def is_debian() -> bool:
    try:
        return "ID=debian" in Path("/etc/os-release").read_text().split()
    except OSError:
        return False


class DockerEngine:
    """Make sure an engine answers; remember whether this process started it, to stop only that."""

    def __init__(self, log_dir: Path, daemon_args: tuple[str, ...] = ()) -> None:
        self.log_dir = log_dir
        self.daemon_args = daemon_args  # dockerd's flags (none: the machine's defaults)
        self.daemon: subprocess.Popen | None = None
        self.installed: list[str] = []

    def ensure(self) -> None:
        if engine_answers() and shutil.which("debootstrap") and self._has_compose():
            return
        if os.geteuid() != 0 or not is_debian():
            if engine_answers() and self._has_compose():
                return  # debootstrap is needed only for stand-ins; missing registries are reported there
            raise DockerUnavailable(
                "no Docker engine answers (`docker info` fails) and this machine is not root on Debian, "
                "where the test would install one: install Docker (with compose) to run this test")
        self.install_packages()
        if not engine_answers():
            self.start_daemon()

    def _has_compose(self) -> bool:
        try:
            compose_command()
        except DockerUnavailable:
            return False
        return True

    def install_packages(self) -> None:
        missing = [pkg for pkg in DEBIAN_PACKAGES
                   if subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
                   .stdout.strip() != "install ok installed"]
        if not missing:
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]):
            done = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
            if done.returncode != 0:
                raise DockerUnavailable(f"`{' '.join(argv)}` failed (exit {done.returncode}): {done.stdout[-1500:]}{done.stderr[-1500:]}")
        self.installed = missing

    def start_daemon(self) -> None:
        """Start dockerd with daemon_args; it answers once `docker info` (DOCKER_HOST, if set) does."""
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / "dockerd.log", "ab")
        self.daemon = subprocess.Popen([dockerd, *self.daemon_args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        deadline = time.monotonic() + DAEMON_START_TIMEOUT
        while not engine_answers():
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise DockerUnavailable(f"dockerd did not start (see {self.log_dir / 'dockerd.log'})")
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the daemon this process started (and the containerd it runs); nothing else."""
        if self.daemon is None:
            return
        if self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        self.daemon = None
