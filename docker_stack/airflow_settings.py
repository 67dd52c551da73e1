"""airflow_settings.yaml applied as the Astro CLI applies it after `astro dev start` (Airflow 3).

Mirrors astro-cli v1.45.0 settings/settings.go: a token from POST /auth/token (admin/admin), then
pools, variables and connections, each POSTed and, on 409, PATCHed, with the fields the CLI sends
(a connection's description is not sent; entries without conn_type or conn_uri are skipped).
The one applier of the file: `make start` (local_runner/settings_file.py) hands it the checked
file with its compose hosts made local, so both paths create and update alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import requests
import yaml


class SettingsRejected(RuntimeError):
    """Airflow answered an upsert with an error, as the CLI reports it."""


def token(base_url: str) -> str:
    resp = requests.post(f"{base_url}/auth/token", json={"username": "admin", "password": "admin"}, timeout=30)
    if resp.status_code not in (200, 201):
        raise SettingsRejected(f"auth endpoint returned status {resp.status_code}")
    return resp.json()["access_token"]


def _upsert(session: requests.Session, api: str, resource: str, key: str, body: dict, update_suffix: str = "") -> None:
    resp = session.post(f"{api}/{resource}", data=json.dumps(body), timeout=30)
    if 200 <= resp.status_code < 300:
        return
    if resp.status_code == 409:
        resp = session.patch(f"{api}/{resource}/{quote(key, safe='')}{update_suffix}", data=json.dumps(body), timeout=30)
        if 200 <= resp.status_code < 300:
            return
        raise SettingsRejected(f"error updating {resource} {key} (HTTP {resp.status_code}): {resp.text}")
    raise SettingsRejected(f"error creating {resource} {key} (HTTP {resp.status_code}): {resp.text}")


def _connection_body(conn: dict) -> dict:
    body: dict = {"connection_id": conn["conn_id"]}
    fields = {"conn_type": "conn_type", "conn_host": "host", "conn_login": "login", "conn_password": "password",
              "conn_schema": "schema"}
    has_fields = any(conn.get(f) for f in fields) or bool(conn.get("conn_port"))
    if conn.get("conn_uri") and not has_fields:
        uri = urlparse(conn["conn_uri"])
        body.update({"conn_type": uri.scheme, "host": uri.hostname})
        if uri.username:
            body["login"] = uri.username
        if uri.password is not None:
            body["password"] = uri.password
        if uri.port:
            body["port"] = uri.port
        if uri.path:
            body["schema"] = uri.path.lstrip("/")
        if uri.query:
            body["extra"] = json.dumps({k: ",".join(v) for k, v in parse_qs(uri.query).items()})
        return body
    for field, api_field in fields.items():
        if conn.get(field):
            body[api_field] = str(conn[field])
    if conn.get("conn_port"):
        body["port"] = int(conn["conn_port"])
    extra = conn.get("conn_extra")
    if isinstance(extra, str) and extra:
        body["extra"] = extra
    elif isinstance(extra, dict):
        body["extra"] = json.dumps(extra)
    return body


def apply(settings_file: Path, base_url: str) -> list[str]:
    """Upsert the file's pools, variables and connections; returns what the CLI prints for each."""
    return apply_section((yaml.safe_load(settings_file.read_text()) or {}).get("airflow") or {}, base_url)


def apply_section(section: dict, base_url: str) -> list[str]:
    """Upsert the pools, variables and connections of the file's `airflow:` mapping."""
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token(base_url)}", "Content-Type": "application/json"})
    api = f"{base_url}/api/v2"
    done = []
    for pool in section.get("pools") or []:
        if not pool.get("pool_name") or not pool.get("pool_slot"):
            continue
        body = {"name": pool["pool_name"], "slots": int(pool["pool_slot"]),
                "description": pool.get("pool_description") or "", "include_deferred": False}
        suffix = "?update_mask=slots&update_mask=include_deferred" if pool["pool_name"] == "default_pool" else ""
        _upsert(session, api, "pools", pool["pool_name"], body, suffix)
        done.append(f"Added Pool: {pool['pool_name']}")
    for variable in section.get("variables") or []:
        if not variable.get("variable_name") or not variable.get("variable_value"):
            continue
        body = {"key": variable["variable_name"], "value": str(variable["variable_value"])}
        _upsert(session, api, "variables", variable["variable_name"], body)
        done.append(f"Added Variable: {variable['variable_name']}")
    for conn in section.get("connections") or []:
        if not conn.get("conn_id"):
            continue
        if not (conn.get("conn_type") or conn.get("conn_uri")):
            done.append(f"Skipping {conn['conn_id']}: conn_type or conn_uri must be specified.")
            continue
        _upsert(session, api, "connections", conn["conn_id"], _connection_body(conn))
        done.append(f"Added Connection: {conn['conn_id']}")
    return done
