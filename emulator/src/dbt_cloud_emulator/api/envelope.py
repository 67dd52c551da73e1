"""What every dbt Cloud endpoint shares: the response envelope, errors, routes with or without the
trailing slash, query parameters, pages and JSON bodies."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

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


def route(router: APIRouter, method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `path` with and without its trailing slash: dbt Cloud answers both, and clients use both."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        for form in dict.fromkeys((path, path.rstrip("/") or "/")):
            router.add_api_route(form, endpoint, methods=[method], include_in_schema=form == path)
        return endpoint

    return register


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

    def check_within(self, total: int) -> None:
        """An offset past the end would answer count 0 while total_count > 0, which makes paginating clients
        (the Airflow provider among them) loop forever; refuse it with the way out instead."""
        if total and self.offset >= total:
            raise ApiError(400, f"Offset {self.offset} is past the last item: there are {total}; use an offset below {total}.")

    def slice(self, items: list) -> list:
        return items[self.offset : self.offset + self.limit]


def page_of(
    request: Request,
    account_id: int,
    items: Sequence[Any],
    orderable: Sequence[str],
    to_json: Callable[[Any], dict[str, Any]],
    filters: dict[str, Any] | None = None,
) -> JSONResponse:
    """Filter `items` (objects with id and name) by name__icontains, order them, answer one page in the list envelope."""
    query = request.query_params
    page = Page.from_query(query)
    order_by = order_by_param(query, orderable)
    name_contains = query.get("name__icontains")
    if name_contains:
        items = [item for item in items if name_contains.lower() in item.name.lower()]
    column = order_by.lstrip("-")
    if column == "name":
        key: Callable[[Any], Any] = lambda item: item.name
    elif column in ("created_at", "updated_at"):
        key = lambda item: (getattr(item, column, 0.0), item.id)
    else:
        key = lambda item: item.id
    items = sorted(items, key=key, reverse=order_by.startswith("-"))
    page.check_within(len(items))
    applied = {"account_id": account_id, **(filters or {}), "limit": page.limit, "offset": page.offset}
    if name_contains:
        applied["name__icontains"] = name_contains
    return listing([to_json(item) for item in page.slice(items)], filters=applied, order_by=order_by, total=len(items))
