"""What each scenario of the distributed stack showed, for the summary line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

SCENARIOS: dict[str, bool] = {}  # scenario -> held
DAGS: dict[str, str] = {}  # dag_id -> end state of its run triggered by hand


@contextmanager
def scenario(name: str) -> Iterator[None]:
    """A scenario held if its block ends without an error (a failed check or a timeout)."""
    SCENARIOS[name] = False
    yield
    SCENARIOS[name] = True


def summary() -> str:
    held = sum(SCENARIOS.values())
    succeeded = sum(state == "success" for state in DAGS.values())
    return f"{held} of {len(SCENARIOS)} scenarios held; {succeeded} of {len(DAGS)} DAGs succeeded"
