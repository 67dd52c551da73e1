"""Query parameters as the provider sends them: repeated keys, comma-joined or bracketed lists, pages."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from starlette.datastructures import QueryParams

from dbt_cloud_emulator.api.envelope import ApiError
from dbt_cloud_emulator.store import SQLITE_INTEGERS

MAX_LIMIT = 100


def list_values(raw_values: Iterable[str]) -> list[str]:
    """Flatten `a&b`, `a,b`, `[1, 2, 3]` and `['a', 'b']` (Python's str() of a list) into items."""
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


def _to_int(name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(400, f"Query parameter {name} must be an integer, got {raw!r}.") from None
    if value not in SQLITE_INTEGERS:  # bigger ids cannot exist, and SQLite cannot bind them
        raise ApiError(400, f"Query parameter {name} is out of range, got {raw!r}.")
    return value
