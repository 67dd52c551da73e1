"""Fixtures for the reliability tests: the emulator's fault knobs.

The long runs (30 DAG runs under faults, the running stack's kill/mark-failed/clear tests, the
secret grep after every DAG) live in soak/, collected only by `make soak` (RELIABILITY_SOAK=1).
"""

from __future__ import annotations

import os

import pytest

from tests.e2e.dbt_cloud_api import DbtCloudApi

collect_ignore = [] if os.environ.get("RELIABILITY_SOAK") == "1" else ["soak"]


@pytest.fixture
def emulator_control(emulator):
    """The emulator's /_emulator/ controls; faults are switched off again after the test."""
    control = emulator.control
    yield control
    control.set_faults(rate=0, drop_after_commit_rate=0)


@pytest.fixture(scope="module")
def stack_dbt_cloud(local_stack):
    """The running stack's emulator API. requests prefers REQUESTS_CA_BUNDLE (the session emulator's)
    to a session's verify, so it points at the stack's emulator meanwhile."""
    from local_runner.emulator import EmulatorProcess

    patch = pytest.MonkeyPatch()
    patch.setenv("REQUESTS_CA_BUNDLE", str(local_stack.trust_bundle))
    yield DbtCloudApi(EmulatorProcess(local_stack))
    patch.undo()
