"""Emulator throughput: run-status GETs (what every poller hits) per second, and their latency, at 1, 10 and 100 clients.

Closed loop: each client is a coroutine on one keep-alive HTTPS connection that sends the next
request as soon as the last one is answered (aiohttp, in this process). The client shares the
machine's 2 cores with the server, so the figures are a floor for what the server alone does; the
server's CPU share is reported beside them. With py-spy available, one more 100-client round is
profiled and the functions with the most samples are reported.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import time
from collections import Counter
from pathlib import Path

import aiohttp
import psutil

from bench import emulators

RUN_STATUS_PATH = "/api/v2/accounts/{account}/runs/{run_id}/"


async def _clients(emulator: emulators.BenchEmulator, url: str, concurrency: int,
                   seconds: float) -> tuple[list[float], int]:
    context = ssl.create_default_context(cafile=str(emulator.trust_bundle))
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency, ssl=context)
    headers = {"Authorization": f"Token {emulator.token}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                async with http.get(url) as response:
                    await response.read()
                    if response.status == 200:
                        latencies.append(time.perf_counter() - sent)
                    else:
                        errors += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors


def _percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def measure(emulator: emulators.BenchEmulator, url: str, concurrency: int, seconds: float) -> dict:
    asyncio.run(_clients(emulator, url, concurrency, min(1.0, seconds)))  # warm-up: connections, caches
    server = psutil.Process(emulator.pid)
    cpu_before, started = server.cpu_times(), time.perf_counter()
    latencies, errors = asyncio.run(_clients(emulator, url, concurrency, seconds))
    elapsed = time.perf_counter() - started
    cpu_after = server.cpu_times()
    ordered = sorted(latencies)
    return {
        "clients": concurrency, "seconds": round(elapsed, 1), "requests": len(latencies), "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(_percentile(ordered, 0.50) * 1000, 1), "p99_ms": round(_percentile(ordered, 0.99) * 1000, 1),
        "server_cpu_share": round((cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / elapsed, 2),
    }


def profile(py_spy: Path, emulator: emulators.BenchEmulator, url: str, seconds: float, out: Path) -> dict:
    """py-spy samples the server while 100 clients poll it; the functions with the most samples (own and total)."""
    raw = out.with_suffix(".txt")
    recorder = subprocess.Popen([str(py_spy), "record", "--pid", str(emulator.pid), "--duration", str(int(seconds)),
                                 "--rate", "200", "--format", "raw", "--output", str(raw), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    asyncio.run(_clients(emulator, url, 100, seconds))
    _, stderr = recorder.communicate(timeout=120)
    if recorder.returncode != 0 or not raw.exists():
        return {"error": f"py-spy failed: {stderr.strip()[-500:]}"}
    own, total, samples = Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0] + ")" if " (" in frame else frame
                  for frame in stack.split(";")]
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            total[frame] += int(count)
    share = lambda counter: [{"function": name, "share": round(n / samples, 3)} for name, n in counter.most_common(15)]  # noqa: E731
    return {"samples": samples, "raw_stacks": str(raw), "top_own": share(own), "top_total": share(total)}


def run(where: Path, levels: list[int], seconds: float, py_spy: Path | None) -> dict:
    # The emulator's own capacity, so dbt Cloud's per-account limit (5,000/min) is off here.
    with emulators.running(where / "emulator", synthetic_seconds=3600, rate_limit_per_minute=0) as emulator:
        run_id = emulator.api(emulator.session(), "POST", "jobs/999/run/", json={"cause": "bench: a run to poll"})["id"]
        url = emulator.url + RUN_STATUS_PATH.format(account=emulator.account_id, run_id=run_id)
        results = [measure(emulator, url, level, seconds) for level in levels]
        found = profile(py_spy, emulator, url, seconds, where / "emulator-profile") if py_spy else \
            {"error": "py-spy is not installed in the bench venv"}
    return {"path": RUN_STATUS_PATH, "levels": results, "profile_at_100_clients": found}
