"""Fault injection for /api/ routes (never /_emulator/): 429, 500, 503, slow responses, dropped connections.

All off by default. `drop_after_commit_rate` is the hard case for duplicate runs: a run trigger is
executed and committed, then its connection is dropped, so the client cannot know the run exists.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from typing import Any

from dbt_cloud_emulator.settings import FaultSettings, SettingsError, validate_faults

Scope = dict[str, Any]
_TRIGGER_SUFFIXES = ("/run/", "/rerun/")


class FaultInjector:
    """The current fault settings (changeable at run time) and the random draws."""

    def __init__(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)
        self.injected: dict[str, int] = {}

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Apply a partial change (as JSON from /_emulator/faults); raises SettingsError naming the bad field."""
        fields = {field.name for field in dataclasses.fields(FaultSettings)}
        unknown = sorted(set(changes) - fields)
        if unknown:
            raise SettingsError(f"Unknown fault setting(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}.")
        if "kinds" in changes:
            kinds = changes["kinds"]
            changes = {**changes, "kinds": tuple(kinds.split(",") if isinstance(kinds, str) else kinds)}
        try:
            updated = dataclasses.replace(self.settings, **changes)
            validate_faults(updated)
        except TypeError as error:
            raise SettingsError(f"Invalid fault settings: {error}") from None
        if "seed" in changes:
            self._random.seed(updated.seed)
        self.settings = updated
        return updated

    def draw(self, scope: Scope) -> str | None:
        if self.settings.rate and self._random.random() < self.settings.rate:
            return self._random.choice(self.settings.kinds)
        return None

    def drop_after_commit(self, scope: Scope) -> bool:
        is_trigger = scope["method"] == "POST" and scope["path"].endswith(_TRIGGER_SUFFIXES)
        rate = self.settings.drop_after_commit_rate
        return is_trigger and bool(rate) and self._random.random() < rate

    def count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1


class FaultMiddleware:
    """ASGI middleware in front of the app; sees only /api/ requests' faults."""

    def __init__(self, app: Any, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        fault = self.injector.draw(scope)
        if fault is not None:
            self.injector.count(fault)
        if fault == "delay":
            await asyncio.sleep(self.injector.settings.delay_seconds)
        elif fault == "drop":
            await _drop_connection(scope, receive)
            return
        elif fault is not None:
            await _send_error(send, int(fault), self.injector.settings.retry_after_seconds)
            return
        if self.injector.drop_after_commit(scope):
            self.injector.count("drop_after_commit")

            async def discard(message: dict[str, Any]) -> None:
                return None

            await self.app(scope, receive, discard)  # the run is created and committed ...
            await _drop_connection(scope, receive)  # ... and the client never hears of it
            return
        await self.app(scope, receive, send)


async def _send_error(send: Any, status: int, retry_after: int) -> None:
    messages = {
        429: "Too many requests (injected fault); retry after the Retry-After seconds.",
        500: "Internal server error (injected fault).",
        503: "Service unavailable (injected fault); retry later.",
    }
    body = json.dumps(
        {"status": {"code": status, "is_success": False, "user_message": messages[status], "developer_message": ""},
         "data": None}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status in (429, 503):
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop_connection(scope: Scope, receive: Any) -> None:
    """Close the socket without any response.

    ASGI has no message for this; uvicorn's receive() is a method of the request cycle that holds the
    connection's transport, so abort that transport (RST, no TLS close_notify, no HTTP bytes).
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("Dropping a connection needs uvicorn's request cycle (is another server in use?)")
    scope["emulator.dropped"] = True
    transport.abort()
    # Let uvicorn notice the lost connection, so it does not try to answer 500 in our place.
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0.001)
