"""The Astro path bench's private Docker engine: it starts with no image beside the machine's engine
(on its own data-root and socket), and stopping it leaves no data, firewall rule, bridge or DOCKER_HOST
behind. (That its containers reach each other and the package index shows in `make bench`.)"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.environment import NO_EMULATOR_HERE, emulator_available


def _firewall() -> str:
    return "\n".join(subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True).stdout
                     for table in ("filter", "nat"))


@pytest.fixture
def private_docker():
    if not emulator_available():
        pytest.skip(NO_EMULATOR_HERE)  # inside the Astro image: no Docker engine there by design
    from bench import private_docker

    reason = private_docker.why_not()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run this test, but: {reason}", pytrace=False)
        pytest.skip(reason)
    return private_docker


def test_private_engine_starts_empty_and_leaves_nothing_behind(private_docker, tmp_path):
    from docker_stack.engine import docker

    # Counted, not compared whole: the machine engine's own rules change as other stacks start (and a
    # `make bench` running meanwhile has the same pool rules in place).
    host_before, pool_rules_before = os.environ.get("DOCKER_HOST"), _firewall().count(private_docker.POOL)
    with private_docker.running(tmp_path / "engine") as engine:
        assert os.environ["DOCKER_HOST"] == engine.host
        assert docker("info", "--format", "{{.DockerRootDir}}").stdout.strip() == str(engine.data_root)
        assert docker("images", "-q").stdout.split() == []
        assert _firewall().count(private_docker.POOL) > pool_rules_before
    assert engine.cleanup == {"stopped_cleanly": True, "problems": []}
    assert os.environ.get("DOCKER_HOST") == host_before
    assert not engine.data_root.exists() and not engine.run_dir.exists()
    assert _firewall().count(private_docker.POOL) == pool_rules_before
    assert subprocess.run(["ip", "link", "show", engine.bridge], capture_output=True).returncode != 0
