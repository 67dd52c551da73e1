"""`python -m dbt_cloud_emulator serve [--host H] [--port P] [--state-dir DIR]`, `... tls` and `... healthcheck`."""

from __future__ import annotations

import argparse
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
    serve.add_argument("--state-dir", type=Path, help=f"State folder (env {ENV_PREFIX}STATE_DIR).")
    check = commands.add_parser("healthcheck", help="Exit 0 if the emulator on this machine answers its health check.")
    check.add_argument("--port", type=int, help=f"Port (env {ENV_PREFIX}PORT, default 8443).")
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
        return healthcheck(Settings.from_env(port=args.port, state_dir=args.state_dir))

    sys.stdout.reconfigure(line_buffering=True)  # one line per request, visible as it happens in a log file
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(host=args.host, port=args.port, state_dir=args.state_dir)
        app = EmulatorApp(settings)
    except (SettingsError, TenantError) as error:
        print(f"dbt_cloud_emulator: {error}", file=sys.stderr)
        return 2
    tls = ensure_tls(settings.tls_dir, settings.tls_extra_hosts)
    logging.getLogger(__name__).info(
        "Serving https://%s:%s (state %s, warehouse %s); clients trust %s",
        settings.host, settings.port, settings.state_dir, settings.warehouse_dir, tls.trust_bundle,
    )
    uvicorn.run(
        app, host=settings.host, port=settings.port, ssl_certfile=str(tls.server), ssl_keyfile=str(tls.server_key),
        access_log=False, log_config=None, timeout_graceful_shutdown=10,
    )
    return 0


def healthcheck(settings: Settings) -> int:
    """For container health checks: GET /_emulator/health over TLS, trusting the emulator's CA."""
    url = f"https://localhost:{settings.port}/_emulator/health"
    try:
        context = ssl.create_default_context(cafile=str(settings.tls_dir / "ca.pem"))
        with urllib.request.urlopen(url, context=context, timeout=3) as response:
            healthy = response.status == 200 and json.load(response).get("status") == "ok"
    except (OSError, ValueError) as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1
