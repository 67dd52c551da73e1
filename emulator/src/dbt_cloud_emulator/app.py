"""Builds the ASGI app: the dbt Cloud API and the emulator's own routes, behind request logging and faults."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from dbt_cloud_emulator.api import accounts, environment_variables, jobs, projects, runs
from dbt_cloud_emulator.api.envelope import install_error_handlers
from dbt_cloud_emulator.control import routes as control_routes
from dbt_cloud_emulator.control import run_page
from dbt_cloud_emulator.engine import RunEngine
from dbt_cloud_emulator.faults import FaultInjector, FaultMiddleware
from dbt_cloud_emulator.rate_limit import RateLimiter, RateLimitMiddleware
from dbt_cloud_emulator.request_log import RequestLogMiddleware, RequestStats
from dbt_cloud_emulator.settings import Settings
from dbt_cloud_emulator.state import EmulatorState
from dbt_cloud_emulator.scenarios import DemoScenarios
from dbt_cloud_emulator.store import JobStore, RunFiles, RunStore
from dbt_cloud_emulator.tenant import load_tenant, with_connection_type, with_extra_tokens


class EmulatorApp:
    """The ASGI app (the API, over HTTPS), the web app (the pages a run's href opens, over plain
    HTTP) and the objects tests and the CLI reach for."""

    def __init__(self, settings: Settings) -> None:
        tenant = with_extra_tokens(load_tenant(settings.jobs_file, settings.jobs_as_code_file), settings.extra_token_pairs)
        tenant = with_connection_type(tenant, settings.connection_type)
        store = RunStore(settings.state_dir / "emulator.sqlite3")
        job_store = JobStore(store.connection)
        for job in tenant.jobs:
            job_store.seed(job.id, account_id=job.account_id, project_id=job.project_id,
                           environment_id=job.environment_id, definition=jobs.job_definition(job.fields))
        files = RunFiles(settings.state_dir)
        scenarios = DemoScenarios(tenant.scenarios, store, settings.synthetic_seconds)
        self.state = EmulatorState(
            settings=settings, tenant=tenant, store=store, jobs=job_store, files=files,
            engine=RunEngine(settings, tenant, store, files, job_store, scenarios.for_job), scenarios=scenarios,
        )
        self.faults = FaultInjector(settings.faults)
        self.stats = RequestStats()
        self.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_cooldown_seconds)
        self.api = self._build_api()
        self.web = self._build_web()
        limited = RateLimitMiddleware(FaultMiddleware(self.api, self.faults), self.rate_limiter, self._account_of_token)
        self.asgi = RequestLogMiddleware(limited, self.stats, self._route_template)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.asgi(scope, receive, send)

    def _build_api(self) -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            self.state.engine.start()
            try:
                yield
            finally:
                await self.state.engine.stop()
                self.state.store.close()

        api = FastAPI(
            title="dbt Cloud emulator", lifespan=lifespan, redirect_slashes=False,
            docs_url="/_emulator/docs", redoc_url=None, openapi_url="/_emulator/openapi.json",
        )
        api.state.emulator = self.state
        api.state.faults = self.faults
        api.state.stats = self.stats
        api.state.rate_limiter = self.rate_limiter
        install_error_handlers(api)
        modules = (accounts, projects, jobs, environment_variables, runs, control_routes, run_page)
        for module in modules:
            api.include_router(module.router)
        self._routes = [route for module in modules for route in module.router.routes if isinstance(route, APIRoute)]
        return api

    def _build_web(self) -> FastAPI:
        """The human-facing pages alone: no API, no token ever crosses plain HTTP. It shares the API
        app's state, and its lifespan: it runs beside the API in the same process."""
        web = FastAPI(title="dbt Cloud emulator (run pages)", redirect_slashes=False,
                      docs_url=None, redoc_url=None, openapi_url=None)
        web.state.emulator = self.state
        web.include_router(run_page.router)
        web.add_api_route("/_emulator/health", control_routes.health, methods=["GET"])
        return web

    def _account_of_token(self, token: str) -> int | None:
        account = self.state.tenant.account_for_token(token)
        return account.id if account else None

    def _route_template(self, scope: dict[str, Any]) -> str | None:
        """The route a request would match; for requests a fault answered before routing."""
        for route in self._routes:
            if scope["method"] in route.methods and route.path_regex.match(scope["path"]):
                return route.path
        return None
