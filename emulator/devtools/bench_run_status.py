"""Rough throughput of the run-status GET (what pollers hit), against a running emulator.

    emulator/.venv/bin/python emulator/devtools/bench_run_status.py --url https://localhost:8443 \
        --bundle .state/emulator/tls/trust-bundle.pem --run-id 100001 [--threads 8] [--seconds 10]

Keep-alive connections in client threads; the client shares the machine's cores with the server,
so the figure is a floor for what the server alone can do.
"""

from __future__ import annotations

import argparse
import ssl
import threading
import time

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--account-id", type=int, default=12345)
    parser.add_argument("--token", default="dbtc_emulator_local_token")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.bundle)
    path = f"/api/v2/accounts/{args.account_id}/runs/{args.run_id}/"
    counts = [0] * args.threads
    errors = [0] * args.threads
    deadline = time.monotonic() + args.seconds

    def worker(slot: int) -> None:
        with httpx.Client(base_url=args.url, verify=context, headers={"Authorization": f"Token {args.token}"}) as http:
            while time.monotonic() < deadline:
                response = http.get(path)
                if response.status_code == 200:
                    counts[slot] += 1
                else:
                    errors[slot] += 1

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(args.threads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(f"{sum(counts)} OK, {sum(errors)} errors in {elapsed:.1f} s with {args.threads} threads: "
          f"{sum(counts) / elapsed:.0f} run-status requests/s")


if __name__ == "__main__":
    main()
