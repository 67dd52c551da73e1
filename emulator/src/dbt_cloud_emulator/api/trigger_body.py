"""The body of POST jobs/{id}/run/: validated field by field (explicit nulls mean 'not set')."""

from __future__ import annotations

import json
from typing import Any

from dbt_cloud_emulator.api.envelope import ApiError
from dbt_cloud_emulator.api.serializers import TRIGGER_FIELDS

MAX_CAUSE_LENGTH = 255
_INT_FIELDS = (
    "azure_pull_request_id", "github_pull_request_id", "gitlab_merge_request_id", "threads_override",
    "timeout_seconds_override",
)
_STR_FIELDS = (
    "git_sha", "git_branch", "schema_override", "dbt_version_override", "target_name_override",
    "non_native_pull_request_id",
)


def parse_trigger_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON; send a JSON object such as {\"cause\": \"...\"}.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object with at least {\"cause\": \"...\"}.")
    unknown = sorted(set(body) - set(TRIGGER_FIELDS))
    if unknown:
        raise ApiError(400, f"Unknown trigger field(s) {', '.join(unknown)}; valid fields are {', '.join(TRIGGER_FIELDS)}.")
    cause = body.get("cause")
    if not isinstance(cause, str) or not cause.strip():
        raise ApiError(400, "cause is required: a non-empty string saying why the job runs.")
    if len(cause) > MAX_CAUSE_LENGTH:
        raise ApiError(400, f"cause must be at most {MAX_CAUSE_LENGTH} characters, got {len(cause)}.")
    for name in _INT_FIELDS:
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ApiError(400, f"{name} must be a non-negative integer or null, got {value!r}.")
    if body.get("threads_override") == 0:
        raise ApiError(400, "threads_override must be at least 1.")
    for name in _STR_FIELDS:
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ApiError(400, f"{name} must be a non-empty string or null, got {value!r}.")
    docs = body.get("generate_docs_override")
    if docs is not None and not isinstance(docs, bool):
        raise ApiError(400, f"generate_docs_override must be true, false or null, got {docs!r}.")
    steps = body.get("steps_override")
    if steps is not None:
        if not isinstance(steps, list) or not steps:
            raise ApiError(400, "steps_override must be a non-empty list of dbt commands or null.")
        bad = [step for step in steps if not isinstance(step, str) or not step.strip().startswith("dbt ")]
        if bad:
            raise ApiError(400, f"steps_override entries must be dbt commands such as 'dbt build --select tag:daily'; got {bad!r}.")
        body["steps_override"] = [step.strip() for step in steps]
    return body
