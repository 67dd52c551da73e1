"""One log line per request (method, path, status, ms; never headers) and the request counter.

Counts are by route template and status, e.g. "GET /api/v2/accounts/{account_id}/runs/{run_id}/" -> {"200": 812};
faults are counted under their injected status, a dropped connection under "dropped".
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger("dbt_cloud_emulator.requests")


class RequestStats:
    def __init__(self) -> None:
        self.started_at = time.time()
        self.by_route: dict[str, Counter[str]] = defaultdict(Counter)

    def record(self, route: str, status: str) -> None:
        self.by_route[route][status] += 1

    def snapshot(self) -> dict[str, Any]:
        total = sum(sum(counts.values()) for counts in self.by_route.values())
        return {
            "since": self.started_at,
            "total": total,
            "by_route": {route: dict(counts) for route, counts in sorted(self.by_route.items())},
        }

    def reset(self) -> None:
        self.by_route.clear()
        self.started_at = time.time()


class RequestLogMiddleware:
    def __init__(self, app: Any, stats: RequestStats, route_template: Callable[[dict[str, Any]], str | None]) -> None:
        self.app = app
        self.stats = stats
        self.route_template = route_template

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = "dropped"

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception:
            status = "500"
            raise
        finally:
            if scope.get("emulator.dropped"):
                status = "dropped"
            route = scope.get("route")
            template = getattr(route, "path", None) or self.route_template(scope) or "(no route)"
            self.stats.record(f"{scope['method']} {template}", status)
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.1fms", scope["method"], scope["path"], status, elapsed_ms)
