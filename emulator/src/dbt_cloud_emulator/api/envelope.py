"""dbt Cloud's response envelope: {"status": {...}, "data": ..., "extra": {...} for lists}."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """Answered as the error envelope with data null."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers


def _status(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "is_success": code < 400, "user_message": message, "developer_message": ""}


def success(data: Any) -> JSONResponse:
    return JSONResponse({"status": _status(200, "Success!"), "data": data})


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
