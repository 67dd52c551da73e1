"""What each scenario of the distributed stack showed, for the summary line."""

from __future__ import annotations

SCENARIOS: dict[str, bool] = {}  # scenario -> held
DAGS: dict[str, str] = {}  # dag_id -> end state of its run triggered by hand


def summary() -> str:
    held = sum(SCENARIOS.values())
    succeeded = sum(state == "success" for state in DAGS.values())
    return f"{held} of {len(SCENARIOS)} scenarios held; {succeeded} of {len(DAGS)} DAGs succeeded"
