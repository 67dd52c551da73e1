"""dbt Cloud's special environment variables: what a run's dbt sees about the run (dbt's docs,
"Environment variables" > "Special environment variables").

dbt Cloud also sets the run details as `DBT_ENV_CUSTOM_ENV_`-prefixed copies, which dbt writes,
prefix stripped, into every artifact's `metadata.env`: clients (Dagster's dbt Cloud integration,
for one) read the run id back from `run_results.json` `metadata.env.DBT_CLOUD_RUN_ID`.
"""

from __future__ import annotations

from dbt_cloud_emulator.store.records import Run
from dbt_cloud_emulator.tenant import Environment

# dbt's prefix for variables it copies into the artifacts' metadata.env (dbt_common's get_metadata_vars).
METADATA_ENV_PREFIX = "DBT_ENV_CUSTOM_ENV_"
# The keys dbt Cloud's artifacts carry in metadata.env: the run details.
RUN_DETAILS = (
    "DBT_CLOUD_PROJECT_ID", "DBT_CLOUD_JOB_ID", "DBT_CLOUD_RUN_ID", "DBT_CLOUD_RUN_REASON_CATEGORY",
    "DBT_CLOUD_RUN_REASON",
)


def special_variables(run: Run, environment: Environment) -> dict[str, str]:
    """The variables dbt Cloud sets for a deployment run, with the run details also metadata-prefixed.

    The git details (DBT_CLOUD_PR_ID, DBT_CLOUD_GIT_SHA) are set only for pull-request builds that a git
    webhook triggers, which the emulator has not.
    """
    trigger = run.trigger
    environment_type = "prod" if environment.deployment_type == "production" else environment.deployment_type
    variables = {
        "DBT_ENV": "prod",  # reserved by dbt Cloud: always "prod" outside the IDE
        "DBT_CLOUD_ACCOUNT_ID": str(run.account_id),
        "DBT_CLOUD_PROJECT_ID": str(run.project_id),
        "DBT_CLOUD_ENVIRONMENT_ID": str(run.environment_id),
        "DBT_CLOUD_ENVIRONMENT_NAME": environment.name,
        "DBT_CLOUD_ENVIRONMENT_TYPE": environment_type,
        "DBT_CLOUD_INVOCATION_CONTEXT": environment_type,  # dev | staging | prod | ci: a deployment job's is its environment's
        "DBT_CLOUD_JOB_ID": str(run.job_id),
        "DBT_CLOUD_RUN_ID": str(run.id),
        "DBT_CLOUD_RUN_REASON_CATEGORY": "other",  # not scheduled nor a pull request: every emulator run comes from the API
        "DBT_CLOUD_RUN_REASON": str(trigger.get("cause") or ""),
    }
    return {**variables, **{METADATA_ENV_PREFIX + name: variables[name] for name in RUN_DETAILS}}
