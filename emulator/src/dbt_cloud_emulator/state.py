"""What the HTTP handlers share: settings, tenant, stores, files, engine and demo scenarios, built once per app."""

from __future__ import annotations

import dataclasses

from dbt_cloud_emulator.engine import RunEngine
from dbt_cloud_emulator.scenarios import DemoScenarios
from dbt_cloud_emulator.settings import Settings
from dbt_cloud_emulator.store import JobStore, RunFiles, RunStore
from dbt_cloud_emulator.tenant import Tenant


@dataclasses.dataclass
class EmulatorState:
    settings: Settings
    tenant: Tenant
    store: RunStore
    jobs: JobStore
    files: RunFiles
    engine: RunEngine
    scenarios: DemoScenarios
