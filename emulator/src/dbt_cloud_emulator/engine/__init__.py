"""The run engine: queue, run slots, run lifecycle, dbt subprocesses, cancel, rerun and recovery."""

from dbt_cloud_emulator.engine.engine import RunEngine
from dbt_cloud_emulator.engine.statuses import RunStatus

__all__ = ["RunEngine", "RunStatus"]
