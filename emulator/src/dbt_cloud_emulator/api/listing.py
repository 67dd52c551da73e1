"""Lists of tenant objects (projects, environments, jobs): name__icontains, order_by and pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.params import Page, order_by_param


def page_of(
    request: Request,
    account_id: int,
    items: Sequence[Any],
    orderable: Sequence[str],
    to_json: Callable[[Any], dict[str, Any]],
    filters: dict[str, Any] | None = None,
) -> JSONResponse:
    """Filter `items` by name__icontains, order them, and answer one page in the list envelope."""
    query = request.query_params
    page = Page.from_query(query)
    order_by = order_by_param(query, orderable)
    name_contains = query.get("name__icontains")
    if name_contains:
        items = [item for item in items if name_contains.lower() in item.name.lower()]
    column = order_by.lstrip("-")
    # The tenant's objects all share one creation time, so created_at/updated_at order by id.
    key = (lambda item: item.name) if column == "name" else (lambda item: item.id)
    items = sorted(items, key=key, reverse=order_by.startswith("-"))
    page.check_within(len(items))
    applied = {"account_id": account_id, **(filters or {}), "limit": page.limit, "offset": page.offset}
    if name_contains:
        applied["name__icontains"] = name_contains
    return envelope.listing([to_json(item) for item in page.slice(items)], filters=applied, order_by=order_by, total=len(items))
