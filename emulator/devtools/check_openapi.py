"""Developer check: validate the emulator's responses against dbt Cloud's official OpenAPI schemas.

It reads the specs from ../shared/reference beside the repository (override with --spec-dir): they
are not shipped with the project (they carry no licence), so it is a developer check run by hand, not
part of `make test`, where a missing spec would be a skip in CI. Run with the emulator's venv (jsonschema comes with dbt-core):

    emulator/.venv/bin/python emulator/devtools/check_openapi.py

For every call the Airflow provider, dbt-cloud-cli and dbt-jobs-as-code make, it prints two verdicts: `strict` (the spec as written)
and `nulls ok` (the same, but any property may be null: the published spec marks no field
nullable, although dbt Cloud returns nulls for unset fields such as a project's `repository`).

It also checks the query parameters: for every operation the emulator serves, the spec's documented
parameters must be the ones the emulator ships (api/documented_parameters.py, which makes it answer 400
for a documented parameter a handler does not apply), each refused one must answer 400 naming it, and
the table in emulator/README.md must be current. `--write` rewrites that module and that table.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from fastapi.testclient import TestClient

from dbt_cloud_emulator.api.documented_parameters import DOCUMENTED_PARAMETERS
from dbt_cloud_emulator.api.envelope import HONOURED_PARAMETERS, operation_key
from dbt_cloud_emulator.app import EmulatorApp
from dbt_cloud_emulator.settings import Settings

ACCOUNT = 12345
V2 = f"/api/v2/accounts/{ACCOUNT}"
V3 = f"/api/v3/accounts/{ACCOUNT}"
DEFAULT_SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "reference"
EMULATOR_DIR = Path(__file__).resolve().parents[1]
PARAMETERS_MODULE = EMULATOR_DIR / "src" / "dbt_cloud_emulator" / "api" / "documented_parameters.py"
README = EMULATOR_DIR / "README.md"
TABLE_START, TABLE_END = "<!-- parameters table: written by devtools/check_openapi.py --write -->", "<!-- end of parameters table -->"
# a value of each documented parameter's type, to probe that a refused one answers 400
SAMPLE_VALUES = {"integer": "1", "boolean": "true", "array": "1", "string": "x"}


def calls(run_id: int) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(spec version, method, spec path, concrete path, query) for each GET the clients read."""
    return [
        ("v2", "get", "/api/v2/accounts/", "/", {}),
        ("v3", "get", "/api/v3/accounts/", "/api/v3/accounts/", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/", f"{V2}/", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/", f"{V3}/", {}),  # the v3 spec has no account get
        ("v3", "get", "/api/v3/accounts/{account_id}/projects/", f"{V3}/projects/", {"name__icontains": "jaffle"}),
        ("v2", "get", "/api/v2/accounts/{account_id}/projects/", f"{V2}/projects/", {}),
        ("v3", "get", "/api/v3/accounts/{account_id}/projects/{id}/", f"{V3}/projects/70001/", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/projects/{id}/", f"{V2}/projects/70001", {}),
        ("v3", "get", "/api/v3/accounts/{account_id}/projects/{project_id}/environments/",
         f"{V3}/projects/70001/environments/", {}),
        ("v3", "get", "/api/v3/accounts/{account_id}/projects/{project_id}/environments/{id}/",
         f"{V3}/projects/70001/environments/80001/", {}),
        # dbt-jobs-as-code lists an account's environments with v3; the v3 spec has only v2's list
        ("v2", "get", "/api/v2/accounts/{account_id}/environments/", f"{V3}/environments/", {"project_id": 70001}),
        ("v2", "get", "/api/v2/accounts/{account_id}/environments/", f"{V2}/environments/", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/environments/{id}/", f"{V2}/environments/80001/", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/jobs/", f"{V2}/jobs/", {"project_id": 70001}),
        ("v2", "get", "/api/v2/accounts/{account_id}/jobs/{id}/", f"{V2}/jobs/111", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/jobs/{id}/", f"{V2}/jobs/999/",
         {"include_related": "environment,custom_environment_variables,most_recent_run,most_recent_completed_run"}),
        ("v2", "get", "/api/v2/accounts/{account_id}/runs/", f"{V2}/runs/",
         {"include_related": ["trigger", "job"], "order_by": "-created_at"}),
        ("v2", "get", "/api/v2/accounts/{account_id}/runs/{id}/", f"{V2}/runs/{run_id}/", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/runs/{id}/", f"{V2}/runs/{run_id}/",
         {"include_related": "run_steps,job,trigger,environment"}),
        ("v2", "get", "/api/v2/accounts/{account_id}/runs/{run_id}/artifacts/", f"{V2}/runs/{run_id}/artifacts/", {}),
        ("v2", "get", "/api/v2/accounts/{account_id}/runs/{run_id}/artifacts/", f"{V2}/runs/{run_id}/artifacts",
         {"step": 1}),
    ]


def writes(http: TestClient) -> list[tuple[str, str, str, str, Any]]:
    """The write calls dbt-cloud-cli and dbt-jobs-as-code make: (version, label, spec path, method, response)."""
    job_body = {"account_id": ACCOUNT, "project_id": 70001, "environment_id": 80001, "name": "check [[openapi_check]]",
                "execute_steps": ["dbt build"], "settings": {"threads": 2, "target_name": "prod"},
                "schedule": {"cron": "0 6 * * *", "date": {"type": "custom_cron", "cron": "0 6 * * *"}},
                "triggers": {"schedule": False}, "generate_docs": False, "run_generate_sources": False}
    job_path = "/api/v2/accounts/{account_id}/jobs/{id}/"
    created = http.post(f"{V2}/jobs/", json=job_body)
    job_id = created.json()["data"]["id"]
    variable = {"account_id": ACCOUNT, "project_id": 70001, "name": "DBT_CHECK", "type": "job",
                "job_definition_id": job_id, "raw_value": "one"}
    variables = f"{V3}/projects/70001/environment-variables"
    variables_path = "/api/v3/accounts/{account_id}/projects/{project_id}/environment-variables/"
    created_variable = http.post(f"{variables}/", json=variable)
    variable_id = created_variable.json()["data"]["id"]
    return [
        ("v2", "POST .../jobs/ (create)", "/api/v2/accounts/{account_id}/jobs/", "post", created),
        ("v2", "POST .../jobs/{id}/ (update)", job_path, "post", http.post(f"{V2}/jobs/{job_id}/", json={**job_body, "description": "x"})),
        ("v3", "POST .../environment-variables/ (create)", variables_path, "post", created_variable),
        ("v3", "POST .../environment-variables/{id}/ (update)", variables_path + "{id}/", "post",
         http.post(f"{variables}/{variable_id}/", json={**variable, "raw_value": "two"})),
        ("v3", "GET .../environment-variables/job/?job_definition_id=", variables_path + "job/", "get",
         http.get(f"{variables}/job/", params={"job_definition_id": job_id})),
        ("v3", "DELETE .../environment-variables/{id}/", variables_path + "{id}/", "delete",
         http.delete(f"{variables}/{variable_id}/")),
        # answered 200 with the deleted job (dbt-cloud-cli reads a JSON body), checked against the job schema
        ("v2", "DELETE .../jobs/{id}", job_path, "get", http.delete(f"{V2}/jobs/{job_id}")),
    ]


def documented_parameters(specs: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """{operation_key: {query parameter: its type}} of each operation the emulator serves that documents any."""
    documented: dict[str, dict[str, str]] = {}
    for version in ("v2", "v3"):
        spec = specs[version]
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                key = operation_key(method, path)
                if key not in HONOURED_PARAMETERS or not isinstance(operation, dict) or key in documented:
                    continue
                parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
                query = {parameter["name"]: parameter.get("schema", {}).get("type") or "string"
                         for parameter in (_resolve(spec, raw) for raw in parameters) if parameter["in"] == "query"}
                if query:
                    documented[key] = query
    return dict(sorted(documented.items(), key=lambda entry: entry[0].split(" ", 1)[::-1]))


def _resolve(spec: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in parameter:
        return spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
    return parameter


def parameters_module(documented: dict[str, dict[str, str]]) -> str:
    lines = ['"""The query parameters dbt Cloud\'s OpenAPI specs document for each operation the emulator serves.',
             "", "Written by emulator/devtools/check_openapi.py --write from the specs; do not edit by hand.", '"""', "",
             "DOCUMENTED_PARAMETERS: dict[str, tuple[str, ...]] = {"]
    for key, parameters in documented.items():
        names = ", ".join(f'"{name}"' for name in sorted(parameters))
        lines.append(f'    "{key}": ({names}{"," if len(parameters) == 1 else ""}),')
    return "\n".join([*lines, "}", ""])


def readme_table(documented: dict[str, dict[str, str]]) -> str:
    rows = [TABLE_START, "", "| operation | applied | answered 400 (not implemented) |", "|---|---|---|"]
    for key, parameters in documented.items():
        honoured = sorted(set(parameters) & HONOURED_PARAMETERS[key])
        refused = sorted(set(parameters) - HONOURED_PARAMETERS[key])
        rows.append(f"| `{key.replace('{}', '{…}')}` | {', '.join(honoured) or '—'} | {', '.join(refused) or '—'} |")
    return "\n".join([*rows, "", TABLE_END])


def check_parameters(specs: dict[str, dict[str, Any]], http: TestClient, write: bool) -> tuple[int, int, int, int]:
    """(operations, parameters checked, refused, failures): the shipped module and README table against the specs,
    and each refused parameter answered 400 naming it."""
    documented = documented_parameters(specs)
    failures = 0
    module, readme = parameters_module(documented), README.read_text()
    start, end = readme.index(TABLE_START), readme.index(TABLE_END) + len(TABLE_END)
    table = readme_table(documented)
    if write:
        PARAMETERS_MODULE.write_text(module)
        README.write_text(readme[:start] + table + readme[end:])
    else:
        for name, current, expected in (("api/documented_parameters.py", PARAMETERS_MODULE.read_text(), module),
                                        ("README.md's parameters table", readme[start:end], table)):
            if current != expected:
                failures += 1
                print(f"[FAIL] {name} is out of date with the specs: run this check with --write")
    checked = refused_count = 0
    for key, parameters in documented.items():
        method, path = key.split(" ", 1)
        concrete = path.replace("{}", str(ACCOUNT), 1).replace("{}", "1")
        for name, kind in parameters.items():
            checked += 1
            if name in HONOURED_PARAMETERS[key]:
                continue
            refused_count += 1
            response = http.request(method, concrete, params={name: SAMPLE_VALUES.get(kind, "x")})
            if response.status_code != 400 or name not in response.text:
                failures += 1
                print(f"[FAIL] {key} ?{name}= answered {response.status_code}, not 400 naming it")
    return len(documented), checked, refused_count, failures


def allow_nulls(schema: Any) -> Any:
    """A copy where every typed schema also accepts null (required properties must still be present)."""
    if isinstance(schema, list):
        return [allow_nulls(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: allow_nulls(value) for key, value in schema.items()}
    if isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def response_schema(spec: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The 200 response's schema, or None for a call answered 204 without a body (deletes)."""
    responses = spec["paths"][path][method]["responses"]
    return responses["200"]["content"]["application/json"]["schema"] if "200" in responses else None


def validate(spec: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    root = {"components": spec["components"], **schema}  # $ref resolves against this document
    validator = jsonschema.Draft7Validator(root)
    messages = []
    for error in validator.iter_errors(body):
        while error.context:  # an anyOf/oneOf failure: report the branch that came closest
            error = jsonschema.exceptions.best_match(error.context)
        messages.append(f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:160]}")
    return sorted(set(messages))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec-dir", type=Path, default=DEFAULT_SPEC_DIR)
    parser.add_argument("--details", action="store_true", help="print every schema error")
    parser.add_argument("--write", action="store_true",
                        help="rewrite api/documented_parameters.py and README.md's parameters table from the specs")
    args = parser.parse_args()
    specs = {version: yaml.safe_load((args.spec_dir / f"dbt-cloud-openapi-{version}.yaml").read_text())
             for version in ("v2", "v3")}
    relaxed = {version: {**spec, "components": allow_nulls(copy.deepcopy(spec["components"]))}
               for version, spec in specs.items()}

    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(environ={}, state_dir=Path(tmp) / "state", warehouse_dir=Path(tmp) / "wh",
                                     synthetic_seconds=0.5)
        app = EmulatorApp(settings)
        with TestClient(app, base_url="https://localhost", headers={"Authorization": "Token dbtc_emulator_local_token"}) as http:
            posts = [
                ("v2", "post", "/api/v2/accounts/{account_id}/jobs/{job_id}/run/", f"{V2}/jobs/999/run/",
                 {"cause": "openapi check", "steps_override": None, "schema_override": None}),
            ]
            results: list[tuple[str, str, Any]] = []
            for version, method, spec_path, path, body in posts:
                results.append((version, f"POST {spec_path}", spec_path, method, http.post(path, json=body)))
            run_id = results[0][4].json()["data"]["id"]
            results.extend(writes(http))
            while http.get(f"{V2}/runs/{run_id}/").json()["data"]["in_progress"]:
                time.sleep(0.2)
            results.append(("v2", "POST .../jobs/{job_id}/rerun/", "/api/v2/accounts/{account_id}/jobs/{job_id}/rerun/",
                            "post", http.post(f"{V2}/jobs/999/rerun/")))
            cancel_id = results[-1][4].json()["data"]["id"]
            results.append(("v2", "POST .../runs/{run_id}/cancel/", "/api/v2/accounts/{account_id}/runs/{run_id}/cancel/",
                            "post", http.post(f"{V2}/runs/{cancel_id}/cancel/")))
            for version, method, spec_path, path, query in calls(run_id):
                label = f"GET {path}" + (f" {query}" if query else "")
                results.append((version, label, spec_path, method, http.get(path, params=query)))
            operations, checked, refused, parameter_failures = check_parameters(specs, http, args.write)

        for version, label, spec_path, method, response in results:
            schema = response_schema(specs[version], method, spec_path)
            if schema is None:
                failures += response.status_code != 204
                print(f"[{'PASS' if response.status_code == 204 else 'FAIL'} no body] {response.status_code} {label}")
                continue
            strict = validate(specs[version], schema, response.json())
            lenient = validate(relaxed[version], schema, response.json())
            failures += bool(lenient) or response.status_code != 200
            print(f"[{'PASS' if not strict else 'FAIL'} strict | {'PASS' if not lenient else 'FAIL'} nulls ok] "
                  f"{response.status_code} {label}" + (f"  ({len(strict)} strict errors)" if strict else ""))
            for error in (strict if args.details else lenient):
                print(f"      {error}")
    print(f"{len(results)} calls checked; {failures} failing with nulls allowed.")
    print(f"{checked} documented query parameters of {operations} served operations checked: "
          f"{checked - refused} applied, {refused} answered 400 naming them, 0 ignored; {parameter_failures} failing.")
    return 1 if failures or parameter_failures else 0


if __name__ == "__main__":
    sys.exit(main())
