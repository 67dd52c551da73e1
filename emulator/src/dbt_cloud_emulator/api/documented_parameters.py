"""The query parameters dbt Cloud's OpenAPI specs document for each operation the emulator serves.

Written by emulator/devtools/check_openapi.py --write from the specs; do not edit by hand.
"""

DOCUMENTED_PARAMETERS: dict[str, tuple[str, ...]] = {
    "GET /api/v2/accounts/": ("include_related",),
    "GET /api/v2/accounts/{}/": ("include_related",),
    "GET /api/v2/accounts/{}/environments/": ("dbt_version", "dbt_version__in", "include_related", "limit", "offset", "order_by", "pk", "project_id", "project_id__in", "state"),
    "GET /api/v2/accounts/{}/environments/{}/": ("include_related",),
    "GET /api/v2/accounts/{}/jobs/": ("dbt_version__in", "environment_id", "include_related", "is_fusion_ready", "is_system", "limit", "name__icontains", "offset", "order_by", "pk", "project_id", "project_id__in", "state", "triggers_schedule"),
    "GET /api/v2/accounts/{}/jobs/{}/": ("include_related",),
    "GET /api/v2/accounts/{}/jobs/{}/artifacts/{}": ("include_related",),
    "GET /api/v2/accounts/{}/projects/": ("include_related", "limit", "name__icontains", "offset", "order_by", "pk", "pk__gt", "pk__in", "state"),
    "GET /api/v2/accounts/{}/projects/{}/": ("include_related",),
    "GET /api/v2/accounts/{}/runs/": ("created_at__range", "dbt_version", "dbt_version__in", "deferring_run_id", "environment_id", "finished_at__range", "has_docs_generated", "has_sources_generated", "id__gt", "include_related", "job_definition_id", "limit", "offset", "order_by", "pk", "pk__in", "project_id", "project_id__in", "state", "status", "status__in"),
    "GET /api/v2/accounts/{}/runs/{}/": ("include_related",),
    "GET /api/v2/accounts/{}/runs/{}/artifacts/": ("include_related",),
    "GET /api/v2/accounts/{}/runs/{}/artifacts/{}": ("include_related", "step"),
    "GET /api/v2/accounts/{}/runs/{}/retry/": ("include_related",),
    "GET /api/v2/accounts/{}/steps/{}/": ("include_related",),
    "GET /api/v3/accounts/": ("include_related",),
    "GET /api/v3/accounts/{}/projects/": ("include_related", "limit", "name__icontains", "offset", "order_by", "pk", "pk__gt", "pk__in", "state"),
    "GET /api/v3/accounts/{}/projects/{}/": ("include_related",),
    "GET /api/v3/accounts/{}/projects/{}/environment-variables/environment/": ("include_related",),
    "GET /api/v3/accounts/{}/projects/{}/environment-variables/job/": ("include_related", "job_definition_id"),
    "GET /api/v3/accounts/{}/projects/{}/environments/": ("credentials_id", "dbt_version", "dbt_version__in", "deployment_type", "deployment_type__in", "id__gt", "include_related", "limit", "name", "name__icontains", "offset", "order_by", "pk", "pk__in", "project_id__in", "state", "type"),
    "GET /api/v3/accounts/{}/projects/{}/environments/{}/": ("include_related",),
}
