"""The template's jobs from its dbt-jobs-as-code file (the repository's dbt_cloud_jobs.yml), as the
tenant starts with them: rendered for one of the tenant's environments and named as dbt-jobs-as-code
names the jobs it syncs (`<name> [[<identifier>]]`), so a first `make jobs-plan` finds nothing to change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml

# Placement comes from the environment the tenant file names; fields only dbt-jobs-as-code reads stay out.
NOT_JOB_FIELDS = ("account_id", "project_id", "environment_id", "linked_id", "custom_environment_variables")


class JobsAsCodeError(ValueError):
    """The jobs-as-code file is not usable; the message names the file and the fix."""


def load_jobs(path: Path, variables: dict[str, int], ids: dict[str, int]) -> list[tuple[int, dict[str, Any]]]:
    """(demo id, job fields as a create body gives them) for each identifier of `ids` the file defines.
    An identifier the file lacks is skipped: `make jobs-sync` creates what the file adds."""
    try:
        template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(path.read_text())
        raw = yaml.safe_load(template.render(**variables))
    except FileNotFoundError:
        raise JobsAsCodeError(
            f"The jobs-as-code file {path} does not exist: set DBT_CLOUD_EMULATOR_JOBS_AS_CODE_FILE to the "
            "repository's dbt_cloud_jobs.yml (in Docker, docker-compose.override.yml mounts it)."
        ) from None
    except (jinja2.TemplateError, yaml.YAMLError) as problem:
        raise JobsAsCodeError(f"{path} does not render with {sorted(variables)}: {problem}") from None
    defined = (raw or {}).get("jobs") if isinstance(raw, dict) else None
    if not isinstance(defined, dict):
        raise JobsAsCodeError(f"{path} must be dbt-jobs-as-code YAML: a `jobs:` mapping of identifier to job.")
    jobs = []
    for identifier, job_id in ids.items():
        job = defined.get(identifier)
        if job is None:
            continue
        if str(job.get("environment_id")) != str(variables["environment_id"]):
            raise JobsAsCodeError(f"{path}: job {identifier} is not in environment {variables['environment_id']}; "
                                  "its environment_id must be \"{{ environment_id }}\".")
        fields = {key: value for key, value in job.items() if key not in NOT_JOB_FIELDS}
        fields["name"] = f"{job['name']} [[{identifier}]]"
        jobs.append((job_id, fields))
    return jobs
