"""A private, throwaway Docker engine: a cold start from no image at all, the machine's engine untouched.

A second dockerd with its own --data-root (under the bench's work folder), --exec-root, --pidfile and
socket (a short folder under /tmp: a unix socket path holds at most 107 bytes, and containerd puts its
own socket in the exec-root), its own empty config file, no iptables management of its own, and a
default bridge and address pool in 10.213.0.0/16, so its networks cannot clash with the machine
engine's. While it runs, DOCKER_HOST points the docker CLI and compose at it. At the end it is
stopped and its data-root deleted; the machine's images and containers are never touched.

Two parts of the plain recipe (`--bridge=none --iptables=false`) fail on this machine kind (measured
2026-11-29), so the engine gets what it lacks, all scoped to 10.213.0.0/16 and removed at the end:
- dockerd started with --bridge=none deletes the host's docker0 (moby's removeDefaultBridgeInterface),
  which breaks the machine engine's default network; and `docker build` runs its RUN steps on the
  default bridge (with none they have no network, so no package can be installed). So the engine
  gets a bridge of its own, made here.
- br_netfilter is on (bridge-nf-call-iptables=1) and the machine engine sets FORWARD's policy to
  DROP, so traffic between two containers of the private engine's networks is dropped, and nothing
  masquerades their traffic out. So: ACCEPT rules first in DOCKER-USER (Docker's chain for the
  user's own rules; FORWARD where there is none) and a MASQUERADE rule in nat POSTROUTING.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from docker_stack.engine import DockerEngine, DockerUnavailable, compose_command, is_debian

POOL = "10.213.0.0/16"
BRIDGE_ADDRESS = "10.213.255.1/24"  # the default bridge's; compose networks get /24s from the pool's start
ADDRESS_POOL = f"base={POOL},size=24"
HOST_BRIDGE = "docker0"  # the machine engine's default bridge, checked to be intact at the end
# One private engine at a time on a machine: two would put the same pool on two bridges.
LOCK_FILE = Path(tempfile.gettempdir()) / "astro-dbt-cloud-private-docker.lock"


class Unavailable(RuntimeError):
    """No private engine can be started here; the message says why."""


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv)}` failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done


def _link_exists(name: str) -> bool:
    return _run("ip", "link", "show", name, check=False).returncode == 0


def _firewall_rules() -> list[tuple[str, str, tuple[str, ...]]]:
    """(table, chain, rule) for traffic inside the pool, its replies, and its way out."""
    chain = "DOCKER-USER" if _run("iptables", "-n", "-L", "DOCKER-USER", check=False).returncode == 0 else "FORWARD"
    return [("filter", chain, ("-s", POOL, "-j", "ACCEPT")),
            ("filter", chain, ("-d", POOL, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")),
            ("nat", "POSTROUTING", ("-s", POOL, "!", "-d", POOL, "-j", "MASQUERADE"))]


def why_not() -> str | None:
    """Why no private engine can be started here (None: it can); installs docker.io where root on Debian."""
    if os.geteuid() != 0:
        return "starting a private dockerd needs root (and Docker's packages); this bench runs as a user"
    if shutil.which("dockerd") is None and is_debian():
        try:
            DockerEngine(Path(tempfile.gettempdir())).install_packages()
        except DockerUnavailable as failed:
            return str(failed)
    missing = [tool for tool in ("dockerd", "docker") if shutil.which(tool) is None]
    missing += [tool for tool in ("ip", "iptables") if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)}: a private dockerd needs Docker's packages, iproute2 and iptables"
    try:
        compose_command()
    except DockerUnavailable as absent:
        return str(absent)
    return None


class PrivateDocker:
    def __init__(self, where: Path) -> None:
        self.where = where
        self.data_root = where / "data-root"
        self.run_dir = Path(tempfile.mkdtemp(prefix="astro-bench-docker-"))  # exec-root, socket, pidfile
        self.host = f"unix://{self.run_dir / 'docker.sock'}"
        self.bridge = f"astrobench{os.getpid() % 100000}"
        self.rules: list[tuple[str, str, tuple[str, ...]]] = []
        self.cleanup: dict = {}
        self.host_bridge_before = _link_exists(HOST_BRIDGE)
        self.previous_docker_host = os.environ.get("DOCKER_HOST")
        config = where / "daemon.json"  # not /etc/docker/daemon.json: the machine engine's settings stay its own
        self.engine = DockerEngine(where, (
            "--config-file", str(config), "--data-root", str(self.data_root),
            "--exec-root", str(self.run_dir / "exec"), "--pidfile", str(self.run_dir / "docker.pid"),
            "-H", self.host, "--bridge", self.bridge, "--iptables=false",
            "--default-address-pool", ADDRESS_POOL))

    def start(self) -> None:
        self.where.mkdir(parents=True, exist_ok=True)
        (self.where / "daemon.json").write_text("{}\n")
        shutil.rmtree(self.data_root, ignore_errors=True)  # a fresh store: no image, no network left from before
        _run("ip", "link", "add", self.bridge, "type", "bridge")
        _run("ip", "addr", "add", BRIDGE_ADDRESS, "dev", self.bridge)
        _run("ip", "link", "set", self.bridge, "up")
        for table, chain, rule in _firewall_rules():
            _run("iptables", "-t", table, "-I", chain, "1", *rule)
            self.rules.append((table, chain, rule))
        os.environ["DOCKER_HOST"] = self.host
        self.engine.start_daemon()

    def stop(self) -> None:
        """Stop the engine, delete its data and what start() added; self.cleanup says what was left."""
        problems = []
        for step in (self.engine.stop, self._unmount, self._delete_network_setup):
            try:
                step()
            except Exception as error:  # every later step must still run
                problems.append(f"{step.__name__}: {error}")
        if self.previous_docker_host is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = self.previous_docker_host
        shutil.rmtree(self.data_root, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if self.data_root.exists():
            problems.append(f"{self.data_root} could not be deleted")
        if self.host_bridge_before and not _link_exists(HOST_BRIDGE):
            problems.append(f"the machine engine's {HOST_BRIDGE} is gone")
        self.cleanup = {"stopped_cleanly": not problems, "problems": problems}

    def _unmount(self) -> None:
        """Mounts dockerd left behind (it unmounts its own on a clean stop), deepest first."""
        roots = (str(self.data_root), str(self.run_dir))
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if m.startswith(roots)), key=len, reverse=True):
            _run("umount", "-l", mount, check=False)

    def _delete_network_setup(self) -> None:
        for table, chain, rule in reversed(self.rules):
            _run("iptables", "-t", table, "-D", chain, *rule, check=False)
        if _link_exists(self.bridge):
            _run("ip", "link", "delete", self.bridge)


@contextlib.contextmanager
def running(where: Path) -> Iterator[PrivateDocker]:
    """A private engine for the block; Unavailable (naming why) where none can be started."""
    reason = why_not()
    if reason:
        raise Unavailable(reason)
    with open(LOCK_FILE, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Unavailable(f"another private engine runs on this machine (a `make bench`?): {LOCK_FILE} is locked") from None
        engine = PrivateDocker(where)
        try:
            try:
                engine.start()
            except DockerUnavailable as failed:
                raise Unavailable(f"a private dockerd did not start: {failed}") from None
            yield engine
        finally:
            engine.stop()
