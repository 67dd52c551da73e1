"""Routes that answer with and without the trailing slash (the provider's get_job omits it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter


def route(router: APIRouter, method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        for form in dict.fromkeys((path, path.rstrip("/") or "/")):
            router.add_api_route(form, endpoint, methods=[method], include_in_schema=form == path)
        return endpoint

    return register
