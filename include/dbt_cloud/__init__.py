"""dbt Cloud from Airflow, the reusable part of this template (the README, "Use it in your own project").
Names load on first use: importing the package (the triggerer does) reads no setting."""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "ResilientDbtCloudRunJobOperator": "operators",
    "ResilientDbtCloudJobRunSensor": "operators",
    "ResilientDbtCloudHook": "hook",
    "DEFAULT_ARGS": "defaults",
    "report_dbt_cloud_failure": "callbacks",
    "DbtCloudFailureNotifier": "callbacks",
    "settings": "config",
    "DbtCloudSettings": "config",
    "DbtCloudSettingsError": "config",
    "DBT_CLOUD_MODELS": "assets",
    "dbt_model_asset": "assets",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
