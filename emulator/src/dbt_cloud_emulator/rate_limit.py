"""dbt Cloud's Administrative API rate limit: requests per minute per account, on every /api/ route.

dbt's docs ("API rate limits"): "Administrative API: 5,000 requests per minute per account (/api/)",
shared by every token and tool of the account. Over it dbt Cloud answers 429. The page states no
cooldown and no Retry-After, and the v2 OpenAPI spec defines neither, so by default a refused request
is admitted again as soon as the last minute holds fewer requests than the limit (a sliding window;
refused requests do not count). A cooldown setting locks the account out for that long after a
refusal, for a client that wants to be tested against a harsher limiter.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbt_cloud_emulator.api.envelope import error

WINDOW_SECONDS = 60.0
_ACCOUNT_IN_PATH = re.compile(r"^/api/v[23]/accounts/(\d+)(?:/|$)")
REFUSED = ("Rate limit exceeded: this account sent more than {limit} Administrative API requests in the last "
           "minute (dbt Cloud's limit, shared by every token and tool of the account). Slow down and retry later.")


@dataclass
class _Account:
    admitted: deque[float] = field(default_factory=deque)  # times of the requests admitted in the last minute
    answered_429: int = 0
    locked_until: float | None = None


class RateLimiter:
    def __init__(self, per_minute: int, cooldown_seconds: float) -> None:
        self.per_minute = per_minute
        self.cooldown_seconds = cooldown_seconds
        self._accounts: dict[int, _Account] = {}

    def admit(self, account_id: int, now: float | None = None) -> bool:
        """Count a request of the account; False (answer 429) when it is over the limit or locked out."""
        if self.per_minute <= 0:
            return True
        now = time.time() if now is None else now
        account = self._accounts.setdefault(account_id, _Account())
        window = account.admitted
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if account.locked_until is not None and now < account.locked_until:
            account.answered_429 += 1
            return False
        if len(window) >= self.per_minute:
            account.answered_429 += 1
            if self.cooldown_seconds > 0:
                account.locked_until = now + self.cooldown_seconds
            return False
        window.append(now)
        return True

    def lock_out(self, account_id: int, seconds: float) -> None:
        """Refuse every request of the account for `seconds` (a test's forced lock-out)."""
        self._accounts.setdefault(account_id, _Account()).locked_until = time.time() + seconds

    def update(self, per_minute: int | None = None, cooldown_seconds: float | None = None) -> None:
        if per_minute is not None:
            self.per_minute = per_minute
        if cooldown_seconds is not None:
            self.cooldown_seconds = cooldown_seconds

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        return {
            "per_minute": self.per_minute,
            "cooldown_seconds": self.cooldown_seconds,
            "accounts": {
                str(account_id): {
                    "requests_last_minute": sum(1 for t in account.admitted if t > now - WINDOW_SECONDS),
                    "answered_429": account.answered_429,
                    "locked_until": account.locked_until if account.locked_until and account.locked_until > now else None,
                }
                for account_id, account in sorted(self._accounts.items())
            },
        }


class RateLimitMiddleware:
    """Answers 429 before routing, so a refused request costs the emulator almost nothing."""

    def __init__(self, app: Any, limiter: RateLimiter, account_of_token: Callable[[str], int | None]) -> None:
        self.app = app
        self.limiter = limiter
        self.account_of_token = account_of_token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        account_id = self._account(scope)
        if account_id is not None and not self.limiter.admit(account_id):
            await error(429, REFUSED.format(limit=self.limiter.per_minute))(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _account(self, scope: dict[str, Any]) -> int | None:
        """The account in the path, else the token's (account-less paths such as v3 accounts/)."""
        match = _ACCOUNT_IN_PATH.match(scope["path"])
        if match:
            return int(match.group(1))
        header = dict(scope.get("headers") or ()).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.strip().partition(" ")
        return self.account_of_token(token.strip()) if scheme.lower() in ("token", "bearer") else None
