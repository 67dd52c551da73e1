"""The machine the numbers were measured on: cores, RAM, CPU model, Python, load while benchmarking."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    kib = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0)
    return {"cpu_model": model, "cores": os.cpu_count(), "ram_gib": round(kib / 2**20, 1),
            "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}",
            "load_average_at_start": load_average()}


def load_average() -> list[float]:
    """The 1, 5 and 15 min load averages, as every section records them around what it measures."""
    return [round(x, 2) for x in os.getloadavg()]


def one_line(machine: dict) -> str:
    return (f"{machine['cpu_model']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
            f"Python {machine['python']}, {machine['os']}")
