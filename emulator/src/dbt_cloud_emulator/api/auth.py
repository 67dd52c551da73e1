"""Token authentication: `Authorization: Token <token>` (or `Bearer <token>`), scoped to one account."""

from __future__ import annotations

from fastapi import Request

from dbt_cloud_emulator.api.envelope import ApiError
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.tenant import Account

SCHEMES = ("token", "bearer")


def token_account(request: Request) -> Account:
    """The account the request's token belongs to, or 401."""
    state: EmulatorState = request.app.state.emulator
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    account = state.tenant.account_for_token(token.strip()) if scheme.lower() in SCHEMES else None
    if account is None:
        raise ApiError(401, "Invalid token.")
    return account


def authorize(request: Request, account_id: int) -> EmulatorState:
    """401 without a valid token, 403 when the token belongs to another account."""
    if token_account(request).id != account_id:
        raise ApiError(403, "Access denied: Token is not scoped to account.")
    return request.app.state.emulator
