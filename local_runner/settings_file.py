"""airflow_settings.yaml: checked before anything starts, then applied through the REST API by the
applier of the Astro path (docker_stack/airflow_settings.py: literal values, no ${VAR}
interpolation; each entry created, or updated if it exists), with compose service hosts made local.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml


SECTIONS = {
    "connections": {"required": ("conn_id", "conn_type"),
                    "optional": ("conn_host", "conn_schema", "conn_login", "conn_password", "conn_port",
                                 "conn_extra", "conn_description")},
    "variables": {"required": ("variable_name",), "optional": ("variable_value", "variable_description")},
    "pools": {"required": ("pool_name", "pool_slot"), "optional": ("pool_description",)},
}


class SettingsError(ValueError):
    """airflow_settings.yaml cannot be applied; the message names the entry and the fix."""


@dataclass(frozen=True)
class AirflowSettings:
    connections: list[dict]
    variables: list[dict]
    pools: list[dict]


def load(path: Path) -> AirflowSettings:
    name = path.name
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        return AirflowSettings([], [], [])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise SettingsError(f"{name} is not valid YAML{where}: {problem}. Fix that line and run the command again.") from None
    if not isinstance(document, dict) or not isinstance(document.get("airflow", {}), dict):
        raise SettingsError(f"{name} must have a top-level `airflow:` mapping with connections, variables and pools.")
    section = document.get("airflow") or {}
    unknown = set(section) - set(SECTIONS)
    if unknown:
        raise SettingsError(f"{name}: unknown section(s) under `airflow:`: {', '.join(sorted(unknown))}. "
                            f"Allowed: {', '.join(SECTIONS)}.")
    return AirflowSettings(**{key: _entries(name, key, section.get(key)) for key in SECTIONS})


def _entries(name: str, key: str, raw) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SettingsError(f"{name}: `airflow.{key}` must be a list of entries (each starting with `- `).")
    spec = SECTIONS[key]
    entries = []
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise SettingsError(f"{name}: entry {position} of `{key}` must be a mapping of fields.")
        label = f"{name}: {key} entry {position}"
        missing = [f for f in spec["required"] if entry.get(f) in (None, "")]
        if missing:
            raise SettingsError(f"{label} is missing {', '.join(missing)}. Add it, or delete the entry.")
        unknown = set(entry) - set(spec["required"]) - set(spec["optional"])
        if unknown:
            raise SettingsError(f"{label} has unknown field(s) {', '.join(sorted(unknown))}. "
                                f"Allowed: {', '.join(spec['required'] + spec['optional'])}.")
        for field_name in ("conn_port", "pool_slot"):
            value = entry.get(field_name)
            if value not in (None, "") and not (isinstance(value, int) or str(value).strip().lstrip("-").isdigit()):
                raise SettingsError(f"{label}: {field_name} must be a whole number, not {value!r}.")
        entries.append(entry)
    return entries


def local_address(host: str | None, port: int | None, service_ports: Mapping[str, int]) -> tuple[str | None, int | None]:
    """A compose service's name (the emulator's, the mail sink's) means this machine in local mode,
    on the port local mode gives that service: in the host (`name:port`) or in the port field."""
    name, with_port, _ = (host or "").partition(":")
    if name not in service_ports:
        return host, port
    local_port = service_ports[name]
    if with_port:
        return f"localhost:{local_port}", port
    return "localhost", None if port is None else local_port


def apply(settings: AirflowSettings, base: str, service_ports: Mapping[str, int]) -> list[str]:
    """Apply the checked file as `astro dev start` does, its compose service hosts made local."""
    # Imported here: the Astro image's `astro dev pytest` imports this module, and docker_stack/ (host
    # tooling) is not in the image (.dockerignore).
    from docker_stack import airflow_settings

    connections = []
    for c in settings.connections:
        port = None if c.get("conn_port") in (None, "") else int(c["conn_port"])
        host, port = local_address(c.get("conn_host"), port, service_ports)
        connections.append({**c, "conn_host": host, "conn_port": port})
    section = {"connections": connections, "variables": settings.variables, "pools": settings.pools}
    try:
        return airflow_settings.apply_section(section, base)
    except airflow_settings.SettingsRejected as exc:
        raise SettingsError(f"Airflow refused an entry of airflow_settings.yaml: {exc}") from None
