"""Accounts: GET / (the provider's test_connection), v2 and v3 list and get. A token sees its own account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.auth import authorize, token_account
from dbt_cloud_emulator.api.envelope import route
from dbt_cloud_emulator.tenant import Account

router = APIRouter()
# The tenant is declared, not created: one fixed creation time keeps its objects stable.
TENANT_CREATED_AT = "2024-01-01 00:00:00+00:00"


@route(router, "GET", "/")
@route(router, "GET", "/api/v2/accounts/")
@route(router, "GET", "/api/v3/accounts/")
async def list_accounts(request: Request) -> JSONResponse:
    account = token_account(request)
    return envelope.listing([account_json(account)], filters={"limit": 100, "offset": 0}, order_by="id", total=1)


@route(router, "GET", "/api/v2/accounts/{account_id}/")
@route(router, "GET", "/api/v3/accounts/{account_id}/")
async def get_account(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    return envelope.success(account_json(state.tenant.accounts[account_id]))


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id, "name": account.name, "state": 1, "plan": "enterprise", "pending_cancel": False,
        "run_slots": 1, "developer_seats": 1, "read_only_seats": 0, "analyst_seats": 0, "explorer_seats": 0,
        "it_seats": 0, "locked": False, "lock_reason": None, "lock_cause": None, "unlocked_at": None,
        "run_locked_until": None, "copilot_locked_until": None, "agent_credit_locked": False,
        "business_critical": False, "billing_email_address": None, "enterprise_login_slug": None,
        "identifier": f"emulator{account.id}", "git_auth_level": "team", "groups": [], "queue_limit": 50,
        "run_duration_limit_seconds": 86400, "pod_memory_request_mebibytes": None,
        "develop_pod_memory_request_mebibytes": None, "starter_repo_url": None, "static_subdomain": None,
        "vanity_subdomain": None, "trial_end_date": None, "account_migration_events": [],
        "docs_job_id": None, "freshness_job_id": None, "created_at": TENANT_CREATED_AT, "updated_at": TENANT_CREATED_AT,
    }
