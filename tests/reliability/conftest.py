"""Fixtures for the reliability tests: the emulator's fault knobs.

The long runs (30 DAG runs under faults, the running stack's kill/mark-failed/clear tests, the
secret grep after every DAG) live in soak/, collected only by `make soak` (RELIABILITY_SOAK=1).
"""

from __future__ import annotations

import os

import pytest


collect_ignore = [] if os.environ.get("RELIABILITY_SOAK") == "1" else ["soak"]


@pytest.fixture
def emulator_control(emulator):
    """The emulator's /_emulator/ controls; faults are switched off again after the test."""
    control = emulator.control
    yield control
    control.set_faults(rate=0, drop_after_commit_rate=0)
