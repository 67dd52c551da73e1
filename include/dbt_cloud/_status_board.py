"""One status poll per account, not per run (gap T3): the waits of a triggerer (event loop) on one connection
and account share a board, which reads runs with the runs list (`pk__in`), the 100 due soonest a request, each
run when due (_next_read), within the connection extra `status_requests_per_minute` (default 1,000, a fifth of
the account's 5,000); a 429 pauses every wait until dbt Cloud admits the board again.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import random
import time
from datetime import datetime
from typing import Any

import aiohttp
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus

from .hook import ResilientDbtCloudHook, retry_after_seconds, untrusted_certificate_message

_PAGE, _BUDGET_PER_MINUTE, _LONGEST_GAP_SECONDS = 100, 1000, 30.0  # 100: dbt Cloud's largest page
_NEAR_END_SECONDS, _UNKNOWN_END_SECONDS = 0.5, 2.0  # the shortest gap: near a likely end, or with no history
_AHEAD_SHARE, _LATE_SHARE = 0.5, 0.1  # the gap: this share of the time to the likely end, or since it
_HISTORY_RUNS, _HISTORY_SECONDS = 10, 600.0
# After a 429 (dbt Cloud documents no cooldown, sends no Retry-After) probe every 5 s; 300 s of 5xx fail the waits.
_RATE_LIMITED_PROBE_SECONDS, _UNREACHABLE_SECONDS = 5.0, 300.0
_boards: dict[tuple[int, str, int | None], _StatusBoard] = {}


class StatusUnreadableError(Exception):
    """The board cannot read run statuses and no later read will do better (trust, token, a long outage)."""


def status_board(conn_id: str, account_id: int | None) -> _StatusBoard:
    """The board of this event loop for the connection and account (made on first use)."""
    key = (id(asyncio.get_running_loop()), conn_id, account_id)
    if key not in _boards:
        _boards[key] = _StatusBoard(key, conn_id, account_id)
    return _boards[key]


class _StatusBoard:
    def __init__(self, key: tuple[int, str, int | None], conn_id: str, account_id: int | None) -> None:
        self._key, self._hook, self._account_id = key, ResilientDbtCloudHook(conn_id), account_id
        self._waiters: dict[int, set[asyncio.Future[dict[str, Any]]]] = {}
        self._due: dict[int, float] = {}  # run id -> when to read it next (epoch s; inf while a read is out)
        self._shortest: dict[int, tuple[float, float | None]] = {}  # job id -> (valid until, shortest success s)
        self._jobs_to_learn, self._changed = set[int](), asyncio.Event()
        self._paused_until, self._failing_since, self._poller = 0.0, 0.0, None  # the poller: an asyncio task

    async def wait(self, run_id: int) -> dict[str, Any]:
        """The run, once it has ended (its status terminal); raises StatusUnreadableError."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(run_id, set()).add(future)
        self._due.setdefault(run_id, 0.0)
        self._changed.set()
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name=f"dbt-cloud-status-board-{self._key[1:]}")
        try:
            return await future
        finally:
            self._waiters.get(run_id, set()).discard(future)
            if not self._waiters.get(run_id):
                self._waiters.pop(run_id, None)
                self._due.pop(run_id, None)

    async def _poll(self) -> None:
        reads: set[asyncio.Task[None]] = set()
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as self._session:
                try:
                    await self._read_until_idle(reads)
                finally:  # before the session closes under them
                    for read in reads:
                        read.cancel()
        except Exception as error:  # noqa: BLE001 - every wait must hear of it, not hang
            for future in [future for futures in self._waiters.values() for future in futures if not future.done()]:
                future.set_exception(error if isinstance(error, StatusUnreadableError) else StatusUnreadableError(error))
        finally:
            if any(not future.done() for futures in self._waiters.values() for future in futures):
                # A wait joined while this poller was closing its session: it needs a poller of its own.
                self._poller = asyncio.create_task(self._poll(), name=f"dbt-cloud-status-board-{self._key[1:]}")
            elif _boards.get(self._key) is self:
                del _boards[self._key]

    async def _read_until_idle(self, reads: set[asyncio.Task[None]]) -> None:
        self._headers, tenant = await self._hook.get_headers_tenants_from_connection()
        connection = await self._hook._resolve_connection_async()
        self._url, _ = self._hook.get_request_url_params(tenant, f"{self._account_id or int(connection.login)}/runs/")
        spacing = 60.0 / float(connection.extra_dejson.get("status_requests_per_minute", _BUDGET_PER_MINUTE))
        self._longest_gap = float(connection.extra_dejson.get("status_poll_max_seconds", _LONGEST_GAP_SECONDS))
        next_slot = 0.0
        while self._waiters:
            for read in [read for read in reads if read.done()]:
                reads.discard(read)
                read.result()  # a read that no later one can better raises: every wait hears of it
            start = max(0.0 if self._jobs_to_learn else min(self._due.values(), default=math.inf), self._paused_until,
                        next_slot)
            if start > time.time():  # nothing due: sleep until something is, or a wait joins, or a read ends
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(start - time.time(), 60.0))
                continue
            if self._jobs_to_learn:
                read = self._learn(self._jobs_to_learn.pop())
            else:
                page = [run_id for run_id in heapq.nsmallest(_PAGE, self._due, key=self._due.__getitem__)
                        if self._due[run_id] < math.inf]
                self._due.update(dict.fromkeys(page, math.inf))
                read = self._read_page(page)
            reads.add(task := asyncio.create_task(read))
            task.add_done_callback(lambda _: self._changed.set())
            next_slot = time.time() + spacing  # within the budget, whatever each read takes

    async def _read_page(self, run_ids: list[int]) -> None:
        """Read a page of runs: wake the waits of those that ended, schedule the next read of the others."""
        runs = await self._get({"pk__in": str(run_ids), "limit": _PAGE})
        now = time.time()
        for run_id in set(run_ids) & self._due.keys():  # after trouble, first when the board goes on
            self._due[run_id] = now if runs is None else now + self._longest_gap
        for run in [run for run in runs or () if run["id"] in self._due]:
            if run["status"] not in DbtCloudJobRunStatus.TERMINAL_STATUSES.value:
                self._due[run["id"]] = self._next_read(run, now)
                continue
            del self._due[run["id"]]
            for future in [future for future in self._waiters.get(run["id"], ()) if not future.done()]:
                future.set_result(run)

    def _next_read(self, run: dict[str, Any], now: float) -> float:
        """When to read a running run again: near its likely end (start + its job's shortest recent success) every
        0.5 s, before it half the time left, after it a tenth of the time since; no history: a tenth of its age, >= 2 s."""
        valid_until, shortest = self._shortest.get(run["job_definition_id"], (0.0, None))
        if valid_until < now:  # learn (again) how long the job's runs take; meanwhile, what was known
            self._shortest[run["job_definition_id"]] = (now + _HISTORY_SECONDS, shortest)
            self._jobs_to_learn.add(run["job_definition_id"])
        begun = datetime.fromisoformat(run["started_at"] or run["created_at"]).timestamp()
        if shortest is None:
            gap = max(_UNKNOWN_END_SECONDS, _LATE_SHARE * (now - begun))
        else:
            end = begun + shortest
            gap = max(_NEAR_END_SECONDS, _AHEAD_SHARE * (end - now) if now < end else _LATE_SHARE * (now - end))
        return now + min(self._longest_gap, gap)

    async def _learn(self, job_id: int) -> None:
        runs = await self._get({"job_definition_id": job_id, "status": DbtCloudJobRunStatus.SUCCESS.value,
                                "order_by": "-id", "limit": _HISTORY_RUNS})
        took = [(datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()
                for run in runs or () if run["started_at"] and run["finished_at"]]
        self._shortest[job_id] = (time.time() + _HISTORY_SECONDS, min(took, default=None))

    async def _get(self, params: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The runs listed; None after trouble, which pauses the board (a 429 until dbt Cloud admits it)."""
        try:
            async with self._session.get(self._url, headers=self._headers, params=params) as response:
                if response.status == 429:
                    pause = retry_after_seconds(response) or _RATE_LIMITED_PROBE_SECONDS * random.uniform(0.8, 1.2)
                    self._hook.log.warning("dbt Cloud answered 429 (its rate limit): status reads paused %.1f s", pause)
                    self._paused_until = max(self._paused_until, time.time() + pause)
                    return None
                if response.status >= 500:
                    return self._troubled(f"{response.status} {response.reason}")
                if response.status >= 400:
                    raise StatusUnreadableError(f"dbt Cloud refused to list runs: {response.status} {response.reason} "
                                                f"{(await response.text())[:300]}")
                runs = (await response.json())["data"]
        except aiohttp.ClientConnectorCertificateError as error:
            raise StatusUnreadableError(untrusted_certificate_message(f"{error.host}:{error.port}",
                                                                      error.certificate_error)) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            return self._troubled(f"{type(error).__name__}: {error}")
        self._failing_since = 0.0
        return runs

    def _troubled(self, reason: str) -> None:
        self._failing_since = self._failing_since or time.time()
        if time.time() - self._failing_since > _UNREACHABLE_SECONDS:
            raise StatusUnreadableError(f"No answer from dbt Cloud ({self._url}) for {_UNREACHABLE_SECONDS:.0f} s: {reason}")
        self._paused_until = max(self._paused_until, time.time() + 2.0 * random.uniform(0.8, 1.2))
