"""What every dbt Cloud endpoint shares: the response envelope, errors, routes with or without the
trailing slash, query parameters, pages and JSON bodies."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from dbt_cloud_emulator.api.documented_parameters import DOCUMENTED_PARAMETERS
from dbt_cloud_emulator.store import SQLITE_INTEGERS

MAX_LIMIT = 100
NOT_SERVED = (
    "No such endpoint: {method} {path}. The emulator serves dbt Cloud's Administrative API for accounts, "
    "projects, environments, jobs, job environment variables, runs and artifacts (emulator/README.md lists "
    "what it does not serve)."
)


class ApiError(Exception):
    """Answered as the error envelope with data null."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers


# the envelope


def _status(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "is_success": code < 400, "user_message": message, "developer_message": ""}


def success(data: Any, extra: dict[str, Any] | None = None) -> JSONResponse:
    body = {"status": _status(200, "Success!"), "data": data}
    if extra is not None:
        body["extra"] = extra
    return JSONResponse(body)


def listing(data: list[Any], *, filters: dict[str, Any], order_by: str, total: int) -> JSONResponse:
    return JSONResponse(
        {
            "status": _status(200, "Success!"),
            "data": data,
            "extra": {
                "filters": filters,
                "order_by": order_by,
                "pagination": {"count": len(data), "total_count": total},
            },
        }
    )


def error(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": _status(status_code, message), "data": None}, status_code=status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Every error in the envelope with data null, FastAPI's own 404/405/422 included."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, failure: ApiError) -> JSONResponse:
        return error(failure.status_code, failure.message, failure.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, failure: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in failure.errors()
        )
        return error(400, f"Invalid request: {problems}.")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, failure: HTTPException) -> JSONResponse:
        if failure.status_code == 404:
            return error(404, NOT_SERVED.format(method=request.method, path=request.url.path))
        return error(failure.status_code, str(failure.detail), getattr(failure, "headers", None))


# routes


def route(
    router: APIRouter, method: str, path: str, honours: Iterable[str] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `path` with and without its trailing slash: dbt Cloud answers both, and clients use both.

    `honours`: the query parameters the handler applies. A parameter dbt Cloud's spec documents for the
    operation but the handler does not apply answers 400 naming it, so that none is silently ignored;
    parameters the spec does not document are ignored, as dbt Cloud ignores them."""
    key = operation_key(method, path)
    HONOURED_PARAMETERS[key] = frozenset(honours)
    refused = frozenset(DOCUMENTED_PARAMETERS.get(key, ())) - HONOURED_PARAMETERS[key]

    def refuse_unhonoured(request: Request) -> None:
        sent = sorted(refused.intersection(request.query_params))
        if sent:
            raise ApiError(400, f"The emulator does not implement the query parameter(s) {', '.join(sent)} of "
                                f"{method} {path} (dbt Cloud documents them); leave them out (emulator/README.md "
                                "lists the parameters of each operation).")

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        for form in dict.fromkeys((path, path.rstrip("/") or "/")):
            router.add_api_route(form, endpoint, methods=[method], include_in_schema=form == path,
                                 dependencies=[Depends(refuse_unhonoured)] if refused else None)
        return endpoint

    return register


# what each route applies, by operation_key: read by the developer check that writes the README table
HONOURED_PARAMETERS: dict[str, frozenset[str]] = {}


def operation_key(method: str, path: str) -> str:
    """`GET /api/v2/accounts/{}/runs/{}/`: path parameters unnamed, so the emulator's and the spec's paths match."""
    return f"{method.upper()} {re.sub(r'{[^}]*}', '{}', path)}"


# request bodies


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object ({} when empty). Unknown fields are the caller's to ignore, as dbt Cloud does."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON; send a JSON object.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


# query parameters


def list_values(raw_values: Iterable[str]) -> list[str]:
    """Flatten `a&b`, `a,b`, `[1, 2, 3]`, `['a', 'b']` (Python's str() of a list) and `["a"]` (JSON) into items."""
    items: list[str] = []
    for raw in raw_values:
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        items.extend(part.strip().strip("'\"").strip() for part in text.split(","))
    return [item for item in items if item]


def int_param(query: QueryParams, name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw.strip() == "":
        return None
    return _to_int(name, raw)


def int_list_param(query: QueryParams, name: str) -> list[int] | None:
    if name not in query:
        return None
    return [_to_int(name, item) for item in list_values(query.getlist(name))]


def value_and_list(value: Any, values: list[Any] | None) -> tuple[Any, ...] | None:
    """`x` and `x__in` (status, pk, dbt_version, ...) both narrow a list: an item must satisfy each one given."""
    if value is None:
        return None if values is None else tuple(values)
    if values is None:
        return (value,)
    return (value,) if value in values else ()


def str_list_param(query: QueryParams, name: str) -> list[str] | None:
    return list_values(query.getlist(name)) if name in query else None


def bool_param(query: QueryParams, name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ApiError(400, f"Query parameter {name} must be true or false, got {raw!r}.")
    return value in ("true", "1")


def datetime_range_param(query: QueryParams, name: str) -> tuple[float, float] | None:
    """`[start, end]` as ISO 8601 date-times or dates (UTC when no offset is given), both ends included,
    in any list spelling list_values reads; as epoch seconds."""
    if name not in query:
        return None
    values = list_values(query.getlist(name))
    if len(values) != 2:
        raise ApiError(400, f"Query parameter {name} takes two date-times, start and end, such as "
                            f"{name}=[\"2024-01-01T00:00:00Z\", \"2024-01-31T23:59:59Z\"]; got {len(values)} value(s).")
    ends = []
    for value in values:
        try:
            moment = datetime.fromisoformat(value)
            ends.append((moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp())
        except (ValueError, OverflowError):  # not a date-time, or one out of range once its offset is applied
            raise ApiError(400, f"Query parameter {name} must hold ISO 8601 date-times, got {value!r}.") from None
    return ends[0], ends[1]


def choice_list_param(query: QueryParams, name: str, allowed: Iterable[str]) -> set[str]:
    allowed = tuple(allowed)
    values = list_values(query.getlist(name))
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ApiError(400, f"Unknown {name} value(s) {', '.join(unknown)}; valid values are {', '.join(allowed)}.")
    return set(values)


def order_by_param(query: QueryParams, allowed: Iterable[str], default: str = "id") -> str:
    allowed = tuple(allowed)
    value = (query.get("order_by") or default).strip()
    if value.lstrip("-") not in allowed:
        raise ApiError(400, f"Cannot order by {value!r}; use one of {', '.join(allowed)} (prefix '-' for descending).")
    return value


def _to_int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, f"Query parameter {name} must be an integer, got {raw!r}.") from None
    if value not in SQLITE_INTEGERS:  # bigger ids cannot exist, and SQLite cannot bind them
        raise ApiError(400, f"Query parameter {name} is out of range, got {raw!r}.")
    return value


# pagination


@dataclasses.dataclass(frozen=True)
class Page:
    limit: int
    offset: int

    @classmethod
    def from_query(cls, query: QueryParams) -> Page:
        limit = int_param(query, "limit")
        offset = int_param(query, "offset")
        limit = MAX_LIMIT if limit is None else limit
        offset = 0 if offset is None else offset
        if limit > MAX_LIMIT:
            raise ApiError(400, f"Limit must not exceed {MAX_LIMIT}")
        if limit < 1:
            raise ApiError(400, "Limit must be at least 1.")
        if offset < 0:
            raise ApiError(400, "Offset must not be negative.")
        return cls(limit, offset)

    def slice(self, items: list) -> list:
        return items[self.offset : self.offset + self.limit]


# filters every list applies the same way: by id, name and soft-deletion state
COMMON_FILTERS = ("limit", "offset", "order_by", "pk", "pk__in", "pk__gt", "id__gt", "name", "name__icontains", "state")
STATES = {"active": (1,), "1": (1,), "deleted": (2,), "2": (2,), "all": (1, 2)}


def state_param(query: QueryParams, default: str) -> tuple[int, ...]:
    """dbt Cloud's soft-deletion filter: active / 1, deleted / 2, or all."""
    raw = (query.get("state") or default).strip().lower()
    if raw not in STATES:
        raise ApiError(400, f"Query parameter state must be active (1), deleted (2) or all, got {raw!r}.")
    return STATES[raw]


def page_of(
    request: Request,
    account_id: int,
    items: Sequence[Any],
    orderable: Sequence[str],
    to_json: Callable[[Any], dict[str, Any]],
    filters: dict[str, Any] | None = None,
) -> JSONResponse:
    """Filter `items` (objects with id, name and optionally state) by COMMON_FILTERS (active ones by default,
    as dbt Cloud's lists), order them, answer one page in the list envelope."""
    query = request.query_params
    page = Page.from_query(query)
    order_by = order_by_param(query, orderable)
    common = {
        "pk": int_param(query, "pk"), "pk__in": int_list_param(query, "pk__in"), "pk__gt": int_param(query, "pk__gt"),
        "id__gt": int_param(query, "id__gt"), "name": query.get("name"), "name__icontains": query.get("name__icontains"),
        "state": query.get("state"),
    }
    states = state_param(query, "active")
    above = max((bound for bound in (common["pk__gt"], common["id__gt"]) if bound is not None), default=None)
    items = [
        item for item in items
        if getattr(item, "state", 1) in states
        and common["pk"] in (None, item.id)
        and (common["pk__in"] is None or item.id in common["pk__in"])
        and (above is None or item.id > above)
        and common["name"] in (None, item.name)
        and (not common["name__icontains"] or common["name__icontains"].lower() in item.name.lower())
    ]
    column = order_by.lstrip("-")
    if column == "name":
        key: Callable[[Any], Any] = lambda item: (item.name, item.id)
    elif column in ("created_at", "updated_at"):
        key = lambda item: (getattr(item, column, 0.0), item.id)
    else:
        key = lambda item: item.id
    items = sorted(items, key=key, reverse=order_by.startswith("-"))
    applied = {"account_id": account_id, **(filters or {}), **common, "limit": page.limit, "offset": page.offset}
    return listing([to_json(item) for item in page.slice(items)], filters={name: value for name, value in applied.items()
                   if value is not None}, order_by=order_by, total=len(items))
