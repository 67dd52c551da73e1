"""The emulator's one settings object, read from DBT_CLOUD_EMULATOR_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "DBT_CLOUD_EMULATOR_"

# src/dbt_cloud_emulator/settings.py -> emulator/ (holds jobs.yaml and demo_project/) -> the repo (dbt_cloud_jobs.yml)
EMULATOR_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = EMULATOR_DIR.parent


class SettingsError(ValueError):
    """A setting has a value the emulator cannot use; the message names the variable and the fix."""


@dataclasses.dataclass(frozen=True)
class FaultSettings:
    """Fault injection on /api/ routes (all off by default)."""

    rate: float = 0.0  # share of /api/ requests that get one of `kinds`
    kinds: tuple[str, ...] = ("429", "500", "503", "delay", "drop")
    delay_seconds: float = 2.0
    retry_after_seconds: int = 1
    drop_after_commit_rate: float = 0.0  # share of run triggers committed, then answered by a dropped connection
    seed: int | None = None


@dataclasses.dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8443  # the API, over HTTPS (the provider always calls https://{host}/)
    # The pages a person opens from a run's href, over plain HTTP: a browser opens them with no
    # certificate warning, as it opens dbt Cloud's, without trusting the emulator's own CA.
    web_port: int = 8444
    state_dir: Path = REPO_DIR / ".state" / "emulator"
    public_url: str = ""  # where a browser reaches web_port (run hrefs); empty: http://localhost:<web_port>
    jobs_file: Path = EMULATOR_DIR / "jobs.yaml"
    # The template's jobs as code (dbt-jobs-as-code): jobs.yaml's jobs_as_code section places them.
    jobs_as_code_file: Path = REPO_DIR / "dbt_cloud_jobs.yml"
    project_dir: Path = EMULATOR_DIR / "demo_project"
    warehouse_dir: Path = REPO_DIR / ".state" / "warehouse"
    dbt_executable: Path = Path(sys.executable).parent / "dbt"
    run_slots: int = 1
    synthetic_seconds: float = 60.0
    tls_extra_hosts: tuple[str, ...] = ()
    # More API tokens, as "<account id>:<token>" entries (comma-separated in the env var), e.g. a
    # secret one for tests that grep logs for it: the jobs.yaml tokens are public by design.
    extra_tokens: tuple[str, ...] = ()
    connection_type: str = "adapter"  # the `type` a project's connection reports: one of CONNECTION_TYPES
    # dbt Cloud's Administrative API limit per account (rate_limit.py); 0 turns it off. dbt documents no
    # cooldown: 0 admits requests again as soon as the last minute has room.
    rate_limit_per_minute: int = 5000
    rate_limit_cooldown_seconds: float = 0.0
    faults: FaultSettings = FaultSettings()

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://localhost:{self.web_port}").rstrip("/")

    @property
    def tls_dir(self) -> Path:
        return self.state_dir / "tls"

    @property
    def extra_token_pairs(self) -> tuple[tuple[int, str], ...]:
        """extra_tokens as (account id, token) pairs."""
        pairs = []
        for entry in self.extra_tokens:
            account, _, token = (part.strip() for part in entry.partition(":"))
            if not account.isdigit() or not token:
                raise SettingsError(f"{ENV_PREFIX}EXTRA_TOKENS entries must look like <account id>:<token>; got one that does not.")
            pairs.append((int(account), token))
        return tuple(pairs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then DBT_CLOUD_EMULATOR_<NAME> variables, then explicit overrides (CLI flags)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            if field.name == "faults":
                continue
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = _parse(field.name.upper(), raw, field.type)
        faults: dict[str, Any] = {}
        for field in dataclasses.fields(FaultSettings):
            name = "FAULT_" + field.name.upper()
            raw = environ.get(ENV_PREFIX + name)
            if raw is not None and raw != "":
                faults[field.name] = _parse(name, raw, field.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values, faults=FaultSettings(**faults))
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.run_slots < 1:
            raise SettingsError(f"{ENV_PREFIX}RUN_SLOTS must be at least 1, got {self.run_slots}.")
        if self.web_port == self.port:
            raise SettingsError(f"{ENV_PREFIX}WEB_PORT and {ENV_PREFIX}PORT are both {self.port}: the run pages "
                                "(plain HTTP) and the API (HTTPS) need a port each; set them apart.")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise SettingsError(f"{ENV_PREFIX}PUBLIC_URL={self.public_url!r} must start with http:// or https://, "
                                "e.g. http://localhost:8444.")
        if self.rate_limit_per_minute < 0 or self.rate_limit_cooldown_seconds < 0:
            raise SettingsError(f"{ENV_PREFIX}RATE_LIMIT_PER_MINUTE and {ENV_PREFIX}RATE_LIMIT_COOLDOWN_SECONDS must be "
                                ">= 0 (0 turns the limit, or the cooldown, off).")
        if self.synthetic_seconds < 0:
            raise SettingsError(f"{ENV_PREFIX}SYNTHETIC_SECONDS must be >= 0, got {self.synthetic_seconds}.")
        if not (self.project_dir / "dbt_project.yml").is_file():
            raise SettingsError(f"{ENV_PREFIX}PROJECT_DIR={self.project_dir} has no dbt_project.yml; point it at a dbt project.")
        if not self.dbt_executable.is_file():
            raise SettingsError(
                f"dbt not found at {self.dbt_executable}; install the emulator with dbt-core and dbt-duckdb "
                f"or set {ENV_PREFIX}DBT_EXECUTABLE."
            )
        if self.connection_type not in CONNECTION_TYPES:
            raise SettingsError(f"{ENV_PREFIX}CONNECTION_TYPE={self.connection_type!r} must be one of "
                                f"{', '.join(CONNECTION_TYPES)} (emulator/README.md says what each changes).")
        validate_faults(self.faults)
        self.extra_token_pairs  # raises on a malformed entry


# "adapter": as dbt Cloud reports an adapter outside its connection types (the spec's enum has no duckdb).
# "duckdb": a type dbt Cloud never reports, but the only one from which the provider's OpenLineage
# extraction (openlineage-common's dbt processor) can name DuckDB datasets; it refuses "adapter".
CONNECTION_TYPES = ("adapter", "duckdb")
FAULT_KINDS = ("429", "500", "503", "delay", "drop")


def validate_faults(faults: FaultSettings) -> None:
    for name in ("rate", "drop_after_commit_rate"):
        value = getattr(faults, name)
        if not 0.0 <= value <= 1.0:
            raise SettingsError(f"{ENV_PREFIX}FAULT_{name.upper()} must be between 0 and 1, got {value}.")
    unknown = [kind for kind in faults.kinds if kind not in FAULT_KINDS]
    if unknown or not faults.kinds:
        raise SettingsError(
            f"{ENV_PREFIX}FAULT_KINDS must be a comma-separated subset of {','.join(FAULT_KINDS)}; "
            f"got {','.join(faults.kinds) or 'nothing'}."
        )
    if faults.delay_seconds < 0 or faults.retry_after_seconds < 0:
        raise SettingsError("Fault delay_seconds and retry_after_seconds must be >= 0.")


def _parse(name: str, raw: str, annotation: Any) -> Any:
    kind = str(annotation)
    try:
        if "tuple" in kind:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if "Path" in kind:
            return Path(raw).expanduser()
        return raw
    except ValueError:
        noun = "a whole number" if kind.startswith("int") else "a number"
        raise SettingsError(f"{ENV_PREFIX}{name}={raw!r} is not {noun}: set it to {noun}, or unset it "
                            "to use the default (emulator/README.md lists the settings).") from None
