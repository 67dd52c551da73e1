"""The Airflow provider's connection to an emulator (any object with host, account_id, token, trust_bundle)."""

from __future__ import annotations

import json


def connection_json(emulator, *, token: str | None = None) -> str:
    """The dbt_cloud connection as AIRFLOW_CONN_* JSON; `token` replaces the emulator's own (bad-token tests)."""
    return json.dumps({"conn_type": "dbt_cloud", "host": emulator.host, "login": str(emulator.account_id),
                       "password": emulator.token if token is None else token})


def provider_env(emulator) -> dict[str, str]:
    """What a process running the provider needs to reach and trust this emulator."""
    return {"AIRFLOW_CONN_DBT_CLOUD_DEFAULT": connection_json(emulator),
            "REQUESTS_CA_BUNDLE": str(emulator.trust_bundle), "SSL_CERT_FILE": str(emulator.trust_bundle)}
