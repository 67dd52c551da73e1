"""The bench-only environment (.state/bench/venv): matplotlib for the plots, py-spy for the profile.

Kept out of requirements.txt and .venv; made with the project's uv (.tools/bin/uv, from `make install`).
Without it (no network, no uv) the bench still measures everything and says what it skipped.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from local_runner.config import PROJECT_ROOT

VENV = PROJECT_ROOT / ".state" / "bench" / "venv"
PACKAGES = ("matplotlib>=3.9", "py-spy>=0.4")


def ensure() -> tuple[Path | None, str | None]:
    """The bench venv's python, or None and why not."""
    python = VENV / "bin" / "python"
    if python.exists() and (VENV / "bin" / "py-spy").exists():
        return python, None
    uv = PROJECT_ROOT / ".tools" / "bin" / "uv"
    if not uv.exists():
        return None, f"{uv} is missing: run `make install` first"
    steps = ([str(uv), "venv", "-q", "--python", sys.executable, str(VENV)],
             [str(uv), "pip", "install", "-q", "--python", str(python), *PACKAGES])
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            return None, f"`{' '.join(argv)}` failed: {done.stderr.strip()[-300:]}"
    return python, None


def py_spy(python: Path | None) -> Path | None:
    return python.parent / "py-spy" if python else None
