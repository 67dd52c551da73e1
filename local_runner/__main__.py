"""`python -m local_runner start|stop|status|logs|demo`: the no-Docker path behind the Makefile."""

from __future__ import annotations

import argparse
import sys

from local_runner import demo, stack
from local_runner.config import LocalConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_runner", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="start the emulator and Airflow in the background")
    sub.add_parser("stop", help="stop everything `start` started")
    sub.add_parser("status", help="show what runs")
    sub.add_parser("demo", help="start, run dbt_cloud_run_job once and print the dbt Cloud run")
    log_parser = sub.add_parser("logs", help="show (or follow) component logs")
    log_parser.add_argument("component", nargs="?")
    log_parser.add_argument("-f", "--follow", action="store_true")
    args = parser.parse_args(argv)
    cfg = LocalConfig()
    if args.command == "start":
        stack.start(cfg)
    elif args.command == "stop":
        stack.stop_all(cfg)
    elif args.command == "status":
        return stack.status(cfg)
    elif args.command == "demo":
        return demo.run(cfg)
    else:
        stack.logs(cfg, args.component, args.follow)
    return 0


if __name__ == "__main__":
    sys.exit(main())
