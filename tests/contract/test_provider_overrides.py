"""Contract tests: the provider's methods that include/dbt_cloud/ overrides or calls privately are still
the ones its workarounds were written against (recorded in provider_contracts.yaml, with
apache-airflow-providers-dbt-cloud 4.11.1).

A provider upgrade that renames, removes, moves or re-signs one of them fails here, naming the row of
docs/provider-gaps.md whose workaround must be re-read against the new provider; an upgrade to a
version that fixes a gap fails too, naming the workaround to delete.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from local_runner.config import PROJECT_ROOT

GAPS_DOC = PROJECT_ROOT / "docs" / "provider-gaps.md"


@dataclass(frozen=True)
class Contract:
    rows: str  # the rows of docs/provider-gaps.md whose workarounds rely on this method, space-separated
    where: str  # module:Class of the provider (or Airflow) that the package subclasses or calls
    name: str
    owner: str  # the class in its MRO that defines it
    signature: str

    def __str__(self) -> str:
        return f"{self.rows.replace(' ', '+')}:{self.where.rsplit(':', 1)[1]}.{self.name}"


HOOK = "airflow.providers.dbt.cloud.hooks.dbt:DbtCloudHook"
OPERATOR = "airflow.providers.dbt.cloud.operators.dbt:DbtCloudRunJobOperator"
SENSOR = "airflow.providers.dbt.cloud.sensors.dbt:DbtCloudJobRunSensor"
TRIGGER = "airflow.providers.dbt.cloud.triggers.dbt:DbtCloudRunJobTrigger"

RECORDED = yaml.safe_load((Path(__file__).with_name("provider_contracts.yaml")).read_text())
RECORDED_WITH = RECORDED["recorded_with"]
CONTRACTS = [Contract(**entry) for entry in RECORDED["contracts"]]

# Gaps a provider release fixes: once it is installed, the workaround must go (with its row and contracts).
RETIRED_BY = {"G2": "4.11.2", "O1": "4.12.0"}


def resolve(where: str, name: str) -> tuple[str, object]:
    """(the class in the MRO defining `name`, the function) for `module:Class` (or `module:` for a function)."""
    module_name, class_name = where.split(":")
    module = import_module(module_name)
    if not class_name:
        return "", getattr(module, name)
    cls = getattr(module, class_name)
    owner = next(klass for klass in cls.__mro__ if name in vars(klass))
    member = vars(owner)[name]
    if isinstance(member, functools.cached_property):
        member = member.func
    if isinstance(member, (staticmethod, classmethod)):
        member = member.__func__
    return owner.__name__, member


def breach(contract: Contract) -> str | None:
    """What changed about the contract's method, or None if it is as recorded."""
    try:
        owner, member = resolve(contract.where, contract.name)
    except (ImportError, AttributeError, StopIteration):
        return f"{contract.where.replace(':', '.')}.{contract.name} no longer exists"
    found = f"defined on {owner or 'the module'} as {contract.name}{inspect.signature(member)}"
    recorded = f"defined on {contract.owner or 'the module'} as {contract.name}{contract.signature}"
    return None if found == recorded else f"recorded with {RECORDED_WITH}: {recorded}\n  now: {found}"


def row_titles() -> dict[str, str]:
    """Row id -> title, from the rows of docs/provider-gaps.md's table."""
    return dict(re.findall(r"^\| \*\*([A-Z]\d)\*\* ([^|]+?) \|", GAPS_DOC.read_text(), flags=re.M))


def failure_message(contract: Contract, what: str) -> str:
    rows = contract.rows.split()
    named = "; ".join(f"{row}: {row_titles().get(row, '?')}" for row in rows)
    return (f"Provider contract broken: row {', '.join(rows)} of docs/provider-gaps.md ({named}).\n  {what}\n"
            f"Re-read that workaround against the installed provider: adapt it (and record the new signature in "
            "tests/contract/provider_contracts.yaml) or, if the provider now closes the gap, delete it.")


@pytest.mark.parametrize("contract", CONTRACTS, ids=str)
def test_the_overridden_provider_method_is_as_recorded(contract):
    what = breach(contract)
    assert what is None, failure_message(contract, what)


def test_a_changed_signature_fails_naming_its_row(monkeypatch):
    from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudHook

    def _run_and_get_response(self, *, method="GET", endpoint=None, payload=None, paginate=False, api_version="v2",
                              timeout=None):
        """What an upgrade that adds a parameter looks like."""

    monkeypatch.setattr(DbtCloudHook, "_run_and_get_response", _run_and_get_response)
    [contract] = [c for c in CONTRACTS if c.name == "_run_and_get_response"]
    message = failure_message(contract, breach(contract))
    assert "row G4 of docs/provider-gaps.md (G4: a run trigger retried" in message
    assert "timeout=None" in message


@pytest.mark.parametrize("row", sorted(RETIRED_BY))
def test_no_workaround_outlives_the_provider_release_that_fixes_it(row):
    from airflow.providers.dbt.cloud import __version__ as installed

    fixed_in = RETIRED_BY[row]
    assert Version(installed) < Version(fixed_in), (
        f"apache-airflow-providers-dbt-cloud {installed} is installed, and {fixed_in} closes row {row} of "
        f"docs/provider-gaps.md ({row_titles().get(row)}): delete its workaround, its row and its contracts.")


def test_every_override_of_a_provider_method_has_a_contract():
    from include.dbt_cloud import hook, operators, trigger

    ours = [hook.ResilientDbtCloudHook, operators._ResilientDbtCloudTask, operators.ResilientDbtCloudRunJobOperator,
            operators.ResilientDbtCloudJobRunSensor, trigger.ResilientDbtCloudRunJobTrigger]
    provider = [HOOK, OPERATOR, SENSOR, TRIGGER]
    covered = {(c.where, c.name) for c in CONTRACTS}
    missing = []
    for cls in ours:
        for name, member in vars(cls).items():
            function = getattr(member, "func", None) or getattr(member, "__func__", None) or member
            if getattr(function, "__module__", "") != cls.__module__:  # e.g. Airflow's metaclass wrappers
                continue
            for where in provider:
                module_name, class_name = where.split(":")
                base = getattr(import_module(module_name), class_name)
                if issubclass(cls, base) or cls is operators._ResilientDbtCloudTask:
                    if hasattr(base, name) and (where, name) not in covered:
                        missing.append(f"{cls.__name__}.{name} overrides {class_name}.{name}")
    assert not missing, "overrides without a contract (add a row to docs/provider-gaps.md and an entry to provider_contracts.yaml): " + "; ".join(missing)


def test_every_row_of_the_gaps_doc_has_a_contract_and_every_contract_a_row():
    rows = set(row_titles())
    contracted = {row for c in CONTRACTS for row in c.rows.split()}
    undocumented = contracted - rows
    assert not undocumented, f"contracts name rows missing from docs/provider-gaps.md: {sorted(undocumented)}"
    uncovered = rows - contracted - {"C1"}  # C1 (the failure callback) overrides nothing
    assert not uncovered, f"rows of docs/provider-gaps.md without a contract: {sorted(uncovered)}"
