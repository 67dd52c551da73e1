"""GET / (the provider's test_connection and list_accounts) and the v2 account endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.auth import authorize, token_account
from dbt_cloud_emulator.api.routing import route
from dbt_cloud_emulator.api.serializers import account_json

router = APIRouter()


@route(router, "GET", "/")
@route(router, "GET", "/api/v2/accounts/")
async def list_accounts(request: Request) -> JSONResponse:
    account = token_account(request)
    return envelope.listing([account_json(account)], filters={"limit": 100, "offset": 0}, order_by="id", total=1)


@route(router, "GET", "/api/v2/accounts/{account_id}/")
async def get_account(request: Request, account_id: int) -> JSONResponse:
    state = authorize(request, account_id)
    return envelope.success(account_json(state.tenant.accounts[account_id]))
