"""What the HTTP handlers share: settings, tenant, store, files and engine, built once per app."""

from __future__ import annotations

import dataclasses

from dbt_cloud_emulator.engine import RunEngine
from dbt_cloud_emulator.settings import Settings
from dbt_cloud_emulator.store import RunFiles, RunStore
from dbt_cloud_emulator.tenant import Tenant


@dataclasses.dataclass
class EmulatorState:
    settings: Settings
    tenant: Tenant
    store: RunStore
    files: RunFiles
    engine: RunEngine
