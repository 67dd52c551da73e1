"""The demo scenarios, and the one hook the engine calls: `DemoScenarios.for_job(job_id)`.

- late_arriving_data (job 333): dbt runs with DEMO_LATE_DATA_LANDED=false, so the build fails on a
  real DuckDB error, until one of the job's runs fails: that failure "lands" the data, so a rerun
  (dbt retry) succeeds. POST /_emulator/jobs/{id}/reset brings back the starting state.
- synthetic (job 999): the run waits synthetic_seconds instead of running dbt, outside the run slots,
  unless a release ends the wait sooner. A benchmark does not know in advance how long its ramp of
  runs will take, so it sets a long wait and releases every waiting run at once when it has measured
  what it needs, choosing which of them end in error.

Every other job is a plain job: real dbt on the project, in a run slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from dbt_cloud_emulator.engine.plan import SYNTHETIC_WAIT
from dbt_cloud_emulator.engine.statuses import RunStatus
from dbt_cloud_emulator.store import RunStore
from dbt_cloud_emulator.store.records import PlannedStep

FAILED_ON_RELEASE = "Synthetic run ended in error on request (POST /_emulator/synthetic/release)."
FAILED_AT_END = "Synthetic run ended in error as planned (POST /_emulator/synthetic/runs)."


class _Release:
    """One release: the event the runs waiting for it wait on, and which of them it fails."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.failing: frozenset[int] = frozenset()


class SyntheticGate:
    def __init__(self) -> None:
        self._next = _Release()
        self._waiting: set[int] = set()
        # Runs created by POST /_emulator/synthetic/runs: their own length, and whether they end in error.
        self._planned: dict[int, tuple[float, bool]] = {}

    def plan(self, run_id: int, seconds: float, fail: bool) -> None:
        self._planned[run_id] = (seconds, fail)

    async def wait(self, run_id: int, seconds: float) -> str | None:
        """Wait out the synthetic step; the failure message if a release asked this run to fail, else None."""
        release = self._next  # a release swaps in a fresh one, so later runs wait their full time
        seconds, fail_at_end = self._planned.pop(run_id, (seconds, False))
        self._waiting.add(run_id)
        try:
            await asyncio.wait_for(release.event.wait(), timeout=seconds)
        except TimeoutError:
            return FAILED_AT_END if fail_at_end else None
        finally:
            self._waiting.discard(run_id)
        return FAILED_ON_RELEASE if run_id in release.failing else None

    def release(self, fail_run_ids: Iterable[int] = ()) -> dict[str, int]:
        """End every synthetic wait now: the runs in `fail_run_ids` end in error, the others succeed."""
        release, self._next = self._next, _Release()
        waiting = set(self._waiting)
        release.failing = frozenset(fail_run_ids) & waiting
        release.event.set()
        return {"released": len(waiting), "failing": len(release.failing)}


class Scenario:
    """A plain job: the planned dbt steps, in a run slot, with nothing added to dbt's environment."""

    takes_run_slot = True

    def plan(self, planned: list[PlannedStep]) -> list[PlannedStep]:
        return planned

    def dbt_environment(self) -> dict[str, str]:
        return {}

    async def wait(self, run_id: int) -> str | None:
        raise NotImplementedError("only the synthetic scenario plans a wait step")

    def run_ended(self, status: RunStatus) -> None:
        pass


class LateArrivingData(Scenario):
    def __init__(self, job_id: int, store: RunStore) -> None:
        self._job_id = job_id
        self._store = store

    def dbt_environment(self) -> dict[str, str]:
        return {"DEMO_LATE_DATA_LANDED": "true" if self._store.late_data_landed(self._job_id) else "false"}

    def run_ended(self, status: RunStatus) -> None:
        if status == RunStatus.ERROR:  # the failure is what lands the late data: the rerun then succeeds
            self._store.set_late_data_landed(self._job_id, True)


class Synthetic(Scenario):
    takes_run_slot = False  # it never touches the warehouse

    def __init__(self, gate: SyntheticGate, seconds: float) -> None:
        self._gate = gate
        self._seconds = seconds

    def plan(self, planned: list[PlannedStep]) -> list[PlannedStep]:
        return [SYNTHETIC_WAIT]

    async def wait(self, run_id: int) -> str | None:
        return await self._gate.wait(run_id, self._seconds)


class DemoScenarios:
    def __init__(self, scenarios: dict[str, frozenset[int]], store: RunStore, synthetic_seconds: float) -> None:
        unknown = set(scenarios) - {"late_arriving_data", "synthetic"}
        if unknown:
            raise ValueError(f"Unknown demo scenario(s) {sorted(unknown)}; known: late_arriving_data, synthetic.")
        self._late = scenarios.get("late_arriving_data", frozenset())
        self._synthetic = scenarios.get("synthetic", frozenset())
        self._store = store
        self._seconds = synthetic_seconds
        self.synthetic_gate = SyntheticGate()

    def for_job(self, job_id: int) -> Scenario:
        """The engine's one hook: how this job's runs differ from a plain job's."""
        if job_id in self._synthetic:
            return Synthetic(self.synthetic_gate, self._seconds)
        if job_id in self._late:
            return LateArrivingData(job_id, self._store)
        return Scenario()

    def reset(self, job_id: int) -> dict[str, object]:
        """The job's starting state again: for a late-arriving-data job, the data has not landed."""
        self._store.set_late_data_landed(job_id, False)
        return {"job_id": job_id, "late_data_landed": job_id not in self._late}
