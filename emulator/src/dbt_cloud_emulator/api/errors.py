"""Every error in the dbt Cloud envelope with data null, including FastAPI's own 404/405/422."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dbt_cloud_emulator.api import envelope
from dbt_cloud_emulator.api.envelope import ApiError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return envelope.error(error.status_code, error.message, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()
        )
        return envelope.error(400, f"Invalid request: {problems}.")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 404:
            return envelope.error(404, f"No such endpoint: {request.method} {request.url.path}. "
                                  "The emulator serves the dbt Cloud v2/v3 calls the Airflow provider makes.")
        return envelope.error(error.status_code, str(error.detail), getattr(error, "headers", None))
