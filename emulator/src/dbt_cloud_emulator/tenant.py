"""The tenant the emulator starts with (accounts, tokens, projects, environments, jobs, demo scenarios), from
jobs.yaml, and the template's own jobs from its dbt-jobs-as-code file (jobs_as_code.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from dbt_cloud_emulator.jobs_as_code import JobsAsCodeError, load_jobs


class TenantError(ValueError):
    """jobs.yaml is not usable; the message says which entry and what to fix."""


@dataclasses.dataclass(frozen=True)
class Account:
    id: int
    name: str
    tokens: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Project:
    id: int
    account_id: int
    name: str
    description: str
    connection_type: str = "adapter"  # what its connection reports as `type` (settings.connection_type)


@dataclasses.dataclass(frozen=True)
class Environment:
    id: int
    account_id: int
    project_id: int
    name: str
    deployment_type: str  # production | staging
    schema: str


@dataclasses.dataclass(frozen=True)
class TenantJob:
    """A job the tenant starts with: its id, where it runs, and its fields as a job create body gives them."""

    id: int
    account_id: int
    project_id: int
    environment_id: int
    fields: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Tenant:
    accounts: dict[int, Account]
    projects: dict[int, Project]
    environments: dict[int, Environment]
    jobs: tuple[TenantJob, ...]
    # Demo scenarios by name (late_arriving_data, synthetic): the job ids they apply to.
    scenarios: dict[str, frozenset[int]]

    def account_for_token(self, token: str) -> Account | None:
        for account in self.accounts.values():
            if token in account.tokens:
                return account
        return None


def load_tenant(path: Path, jobs_as_code_file: Path) -> Tenant:
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise TenantError(f"Jobs file {path} does not exist; set DBT_CLOUD_EMULATOR_JOBS_FILE.") from None
    if not isinstance(raw, dict):
        raise TenantError(f"{path} must be a mapping with accounts, projects, environments and jobs.")
    try:
        accounts = {
            a["id"]: Account(id=int(a["id"]), name=a["name"], tokens=tuple(a.get("tokens", ())))
            for a in raw.get("accounts", [])
        }
        projects = {
            p["id"]: Project(
                id=int(p["id"]),
                account_id=_known(accounts, p["account_id"], "account", p),
                name=p["name"],
                description=p.get("description", ""),
            )
            for p in raw.get("projects", [])
        }
        environments = {}
        for e in raw.get("environments", []):
            project = projects[_known(projects, e["project_id"], "project", e)]
            environments[e["id"]] = Environment(
                id=int(e["id"]),
                account_id=project.account_id,
                project_id=project.id,
                name=e["name"],
                deployment_type=e.get("deployment_type", "production"),
                schema=e.get("schema", "main"),
            )
        jobs = []
        for j in [*_jobs_as_code(raw.get("jobs_as_code"), jobs_as_code_file, environments), *raw.get("jobs", [])]:
            environment = environments[_known(environments, j["environment_id"], "environment", j)]
            fields = {key: value for key, value in j.items() if key not in ("id", "environment_id")}
            jobs.append(TenantJob(int(j["id"]), environment.account_id, environment.project_id, environment.id, fields))
            if not j["name"] or not isinstance(j.get("execute_steps"), list):
                raise TenantError(f"{path}: job {j['id']} needs a name and a list of execute_steps.")
        scenarios = {
            name: frozenset(int(job_id) for job_id in job_ids) for name, job_ids in (raw.get("scenarios") or {}).items()
        }
    except KeyError as missing:
        raise TenantError(f"{path}: an entry lacks the required key {missing}.") from None
    for job in jobs:
        bad = [step for step in job.fields["execute_steps"] if not str(step).startswith("dbt ")]
        if bad:
            raise TenantError(f"{path}: job {job.id} has execute_steps that are not dbt commands: {bad}.")
    return Tenant(accounts=accounts, projects=projects, environments=environments, jobs=tuple(jobs), scenarios=scenarios)


def _jobs_as_code(section: dict | None, path: Path, environments: dict[int, Environment]) -> list[dict[str, Any]]:
    """The jobs of the dbt-jobs-as-code file, in the environment and under the demo ids `section` names."""
    if not section:
        return []
    environment = environments[_known(environments, section["environment_id"], "environment", section)]
    variables = {"account_id": environment.account_id, "project_id": environment.project_id,
                 "environment_id": environment.id}
    try:
        loaded = load_jobs(path, variables, {str(name): int(job_id) for name, job_id in section["ids"].items()})
    except JobsAsCodeError as problem:
        raise TenantError(str(problem)) from None
    return [{"id": job_id, "environment_id": environment.id, **fields} for job_id, fields in loaded]


def with_extra_tokens(tenant: Tenant, pairs: Iterable[tuple[int, str]]) -> Tenant:
    """The tenant with more tokens, from (account id, token) pairs (settings.extra_token_pairs)."""
    accounts = dict(tenant.accounts)
    for account_id, token in pairs:
        account = accounts.get(account_id)
        if account is None:
            raise TenantError(f"An extra token is for account {account_id}, which is not in the jobs file.")
        accounts[account.id] = dataclasses.replace(account, tokens=(*account.tokens, token))
    return dataclasses.replace(tenant, accounts=accounts)


def with_connection_type(tenant: Tenant, connection_type: str) -> Tenant:
    """The tenant whose projects' connections report `connection_type` (settings.connection_type)."""
    projects = {pid: dataclasses.replace(project, connection_type=connection_type) for pid, project in tenant.projects.items()}
    return dataclasses.replace(tenant, projects=projects)


def _known(registry: dict[int, Any], key: Any, kind: str, entry: dict) -> int:
    if key not in registry:
        raise TenantError(f"{entry.get('name', entry)!r} refers to unknown {kind} {key}.")
    return int(key)
