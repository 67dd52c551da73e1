"""One status poll per account, not per run: the deferred waits of a triggerer share one poller.

dbt Cloud allows 5,000 Administrative API requests a minute per account, shared by every tool of the
account. The provider's trigger reads each run on its own (one GET a run an interval), so a few
hundred runs in flight lock the whole account out. Here every wait of one triggerer (event loop) on
the same connection and account joins one board, which reads all their runs with the runs list
(`pk__in`, 100 a page): ceil(runs / 100) requests a sweep, one sweep every `status_poll_seconds` (a
connection extra, default 2; the tasks' `check_interval` is for sync waits). A request budget (the
extra `status_requests_per_minute`, default 1,000: a fifth of the account's limit) stretches the sweep
instead of exceeding it, and a 429 pauses the board for every wait until dbt Cloud admits it again.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import aiohttp
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus

from .hook import ResilientDbtCloudHook, retry_after_seconds, untrusted_certificate_message

_PAGE = 100  # dbt Cloud's largest page
_BUDGET_PER_MINUTE = 1000
_POLL_SECONDS = 2.0
# dbt Cloud documents no cooldown and sends no Retry-After: probe with one request this often until admitted.
_RATE_LIMITED_PROBE_SECONDS = 5.0
_UNREACHABLE_SECONDS = 300.0  # transient errors (5xx, dropped connections) for this long fail the waits
_TERMINAL = frozenset(DbtCloudJobRunStatus.TERMINAL_STATUSES.value)
_boards: dict[tuple[int, str, int | None], _StatusBoard] = {}


class StatusUnreadableError(Exception):
    """The board cannot read run statuses and no later read will do better (trust, token, a long outage)."""


def status_board(conn_id: str, account_id: int | None) -> _StatusBoard:
    """The board of this event loop for the connection and account (made on first use)."""
    key = (id(asyncio.get_running_loop()), conn_id, account_id)
    board = _boards.get(key)
    if board is None:
        board = _boards[key] = _StatusBoard(key, conn_id, account_id)
    return board


class _StatusBoard:
    def __init__(self, key: tuple[int, str, int | None], conn_id: str, account_id: int | None) -> None:
        self._key = key
        self._hook = ResilientDbtCloudHook(conn_id)
        self._account_id = account_id
        self._waiters: dict[int, set[asyncio.Future[dict[str, Any]]]] = {}
        self._poller: asyncio.Task[None] | None = None
        self.requests = 0  # status reads sent, for the bench and the tests

    async def wait(self, run_id: int) -> dict[str, Any]:
        """The run, once it has ended (its status terminal); raises StatusUnreadableError."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(run_id, set()).add(future)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name=f"dbt-cloud-status-board-{self._key[1:]}")
        try:
            return await future
        finally:
            waiting = self._waiters.get(run_id, set())
            waiting.discard(future)
            if not waiting:
                self._waiters.pop(run_id, None)

    async def _poll(self) -> None:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
                await self._sweep_until_idle(session)
        except Exception as error:  # noqa: BLE001 - every wait must hear of it, not hang
            self._fail_all(error)
        finally:
            if any(not future.done() for futures in self._waiters.values() for future in futures):
                # A wait joined while this poller was closing its session: it needs a poller of its own.
                self._poller = asyncio.create_task(self._poll(), name=f"dbt-cloud-status-board-{self._key[1:]}")
            elif _boards.get(self._key) is self:
                del _boards[self._key]

    async def _sweep_until_idle(self, session: aiohttp.ClientSession) -> None:
        headers, tenant = await self._hook.get_headers_tenants_from_connection()
        connection = await self._hook._resolve_connection_async()
        account_id = self._account_id or int(connection.login)
        budget = float(connection.extra_dejson.get("status_requests_per_minute", _BUDGET_PER_MINUTE))
        interval = float(connection.extra_dejson.get("status_poll_seconds", _POLL_SECONDS))
        url, _ = self._hook.get_request_url_params(tenant, f"{account_id}/runs/")
        failing_since: float | None = None
        while self._waiters:
            run_ids = sorted(self._waiters)
            pages = [run_ids[i:i + _PAGE] for i in range(0, len(run_ids), _PAGE)]
            started, spacing = time.monotonic(), 60.0 / budget
            reads: list[asyncio.Task[tuple[str, float] | None]] = []
            for index, page in enumerate(pages):  # on a schedule within the budget, whatever each read takes
                await asyncio.sleep(max(0.0, started + index * spacing - time.monotonic()))
                if any(read.done() and read.result() for read in reads):
                    break  # trouble: no more reads this sweep
                reads.append(asyncio.create_task(self._read_page(session, url, headers, page)))
            troubles = [trouble for trouble in await asyncio.gather(*reads) if trouble]
            pause = max((seconds for _, seconds in troubles), default=0.0)
            if not troubles:
                failing_since = None
            elif all(reason != "429" for reason, _ in troubles):
                failing_since = failing_since or started
                if time.monotonic() - failing_since > _UNREACHABLE_SECONDS:
                    raise StatusUnreadableError(f"Cannot read run statuses from dbt Cloud at {tenant} for "
                                                f"{_UNREACHABLE_SECONDS:.0f} s: {troubles[0][0]}")
            next_sweep = started + max(interval, len(reads) * spacing)
            await asyncio.sleep(max(pause, next_sweep - time.monotonic()))

    async def _read_page(self, session: aiohttp.ClientSession, url: str, headers: dict[str, Any],
                         run_ids: list[int]) -> tuple[str, float] | None:
        """Read one page of runs and wake the waits of those that ended; else why and how long to pause."""
        params = {"pk__in": str(run_ids), "limit": _PAGE}
        self.requests += 1
        try:
            async with session.get(url, headers=headers, params=params) as response:
                if response.status == 429:
                    pause = retry_after_seconds(response) or _RATE_LIMITED_PROBE_SECONDS * random.uniform(0.8, 1.2)
                    self._hook.log.warning("dbt Cloud answered 429 (the account's rate limit): pausing the status "
                                           "reads of %d run(s) for %.1f s", len(self._waiters), pause)
                    return "429", pause
                if response.status >= 500:
                    return f"{response.status} {response.reason}", 2.0 * random.uniform(0.8, 1.2)
                if response.status >= 400:
                    raise StatusUnreadableError(f"dbt Cloud refused to list runs: {response.status} {response.reason} "
                                                f"{(await response.text())[:300]}")
                runs = (await response.json())["data"]
        except aiohttp.ClientConnectorCertificateError as error:
            raise StatusUnreadableError(untrusted_certificate_message(f"{error.host}:{error.port}",
                                                                      error.certificate_error)) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"{type(error).__name__}: {error}", 2.0 * random.uniform(0.8, 1.2)
        for run in runs:
            if run["status"] in _TERMINAL:
                for future in self._waiters.get(run["id"], ()):
                    if not future.done():
                        future.set_result(run)
        return None

    def _fail_all(self, error: Exception) -> None:
        for futures in self._waiters.values():
            for future in futures:
                if not future.done():
                    future.set_exception(error if isinstance(error, StatusUnreadableError)
                                         else StatusUnreadableError(f"{type(error).__name__}: {error}"))
