"""`python -m dbt_cloud_emulator serve [--host H] [--port P] [--web-port W] [--state-dir DIR]`, `... tls` and `... healthcheck`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import ssl
import sys
import urllib.request
from pathlib import Path

import uvicorn

from dbt_cloud_emulator.app import EmulatorApp
from dbt_cloud_emulator.settings import ENV_PREFIX, Settings, SettingsError
from dbt_cloud_emulator.tenant import TenantError
from dbt_cloud_emulator.tls import ensure_tls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dbt_cloud_emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="Serve the dbt Cloud API emulator over HTTPS.")
    serve.add_argument("--host", help=f"Address to listen on (env {ENV_PREFIX}HOST, default 127.0.0.1).")
    serve.add_argument("--port", type=int, help=f"Port (env {ENV_PREFIX}PORT, default 8443).")
    serve.add_argument("--web-port", type=int,
                       help=f"Plain-HTTP port of the run pages (env {ENV_PREFIX}WEB_PORT, default 8444).")
    serve.add_argument("--state-dir", type=Path, help=f"State folder (env {ENV_PREFIX}STATE_DIR).")
    check = commands.add_parser("healthcheck", help="Exit 0 if the emulator on this machine answers its health checks.")
    check.add_argument("--port", type=int, help=f"Port (env {ENV_PREFIX}PORT, default 8443).")
    check.add_argument("--web-port", type=int, help=f"Run pages' port (env {ENV_PREFIX}WEB_PORT, default 8444).")
    check.add_argument("--state-dir", type=Path, help=f"State folder, for its CA (env {ENV_PREFIX}STATE_DIR).")
    tls_cmd = commands.add_parser(
        "tls", help="Create (or reuse) the CA, server certificate and trust bundle, print the bundle's path, and exit.")
    tls_cmd.add_argument("--state-dir", type=Path, help=f"State folder (env {ENV_PREFIX}STATE_DIR).")
    args = parser.parse_args(argv)
    if args.command == "tls":
        # Clients that read their trust settings once at import (aiohttp) need the bundle before they start.
        settings = Settings.from_env(state_dir=args.state_dir)
        print(ensure_tls(settings.tls_dir, settings.tls_extra_hosts).trust_bundle)
        return 0
    if args.command == "healthcheck":
        return healthcheck(Settings.from_env(port=args.port, web_port=args.web_port, state_dir=args.state_dir))

    sys.stdout.reconfigure(line_buffering=True)  # one line per request, visible as it happens in a log file
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(host=args.host, port=args.port, web_port=args.web_port, state_dir=args.state_dir)
        app = EmulatorApp(settings)
    except (SettingsError, TenantError) as error:
        print(f"dbt_cloud_emulator: {error}", file=sys.stderr)
        return 2
    tls = ensure_tls(settings.tls_dir, settings.tls_extra_hosts)
    logging.getLogger(__name__).info(
        "Serving the API on https://%s:%s and run pages on http://%s:%s, linked as %s (state %s, warehouse %s); "
        "clients trust %s", settings.host, settings.port, settings.host, settings.web_port,
        settings.effective_public_url, settings.state_dir, settings.warehouse_dir, tls.trust_bundle,
    )
    common = {"host": settings.host, "access_log": False, "log_config": None, "timeout_graceful_shutdown": 10}
    api = uvicorn.Server(uvicorn.Config(app, port=settings.port, ssl_certfile=str(tls.server),
                                        ssl_keyfile=str(tls.server_key), **common))
    # The API app's lifespan starts and stops the run engine; the web app shares it, so has none.
    web = uvicorn.Server(uvicorn.Config(app.web, port=settings.web_port, lifespan="off", **common))
    return asyncio.run(_serve_together(api, web))


async def _serve_together(api: uvicorn.Server, web: uvicorn.Server) -> int:
    """Both servers in one event loop; when one stops (a signal, or a port in use at start, which
    uvicorn logs and answers with SystemExit), the other follows. Returns the exit status."""
    async def serve(server: uvicorn.Server) -> int:
        try:
            await server.serve()
        except SystemExit as stop:
            return int(stop.code or 1)
        return 0

    tasks = [asyncio.create_task(serve(server)) for server in (web, api)]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    api.should_exit = web.should_exit = True
    return max(await asyncio.gather(*tasks))


def healthcheck(settings: Settings) -> int:
    """For container health checks: GET /_emulator/health of the API over TLS (trusting the
    emulator's CA) and of the run pages over plain HTTP."""
    context = ssl.create_default_context(cafile=str(settings.tls_dir / "ca.pem"))
    for url in (f"https://localhost:{settings.port}/_emulator/health", f"http://localhost:{settings.web_port}/_emulator/health"):
        try:
            with urllib.request.urlopen(url, context=context, timeout=3) as response:
                healthy = response.status == 200 and json.load(response).get("status") == "ok"
        except (OSError, ValueError) as error:
            print(f"{url}: {error}", file=sys.stderr)
            return 1
        if not healthy:
            return 1
    return 0
