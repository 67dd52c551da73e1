"""Installs Chromium for the browser test (tests/browser/) when it is missing. Standard library only:
`make test` runs it before anything else, on a fresh machine that may have only Python.

It installs with apt-get only when it can (Debian/Ubuntu, as root); anywhere else it says what to
install and leaves the choice to the user: the browser test then skips and names the same fix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from local_runner.install import say

CHROMIUM = Path("/usr/bin/chromium")
PACKAGES = ["chromium", "chromium-driver"]
MANUAL_STEP = "install Chromium with `sudo apt-get install chromium chromium-driver` (Debian/Ubuntu)"


def _apt_get(*args: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        print(done.stdout[-4000:], flush=True)
        raise SystemExit(f"`apt-get {' '.join(args)}` failed (exit {done.returncode}); its output is above. "
                         f"Fix the package sources, or {MANUAL_STEP}.")


def main() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        say(f"Chromium is not installed at {CHROMIUM}, so the browser test (tests/browser/) will be skipped. "
            f"To run it, {MANUAL_STEP}.")
        return
    say("Installing Chromium for the browser test (apt-get)")
    started = time.monotonic()
    _apt_get("update", "-q")
    _apt_get("install", "-y", "-q", "--no-install-recommends", *PACKAGES)
    say(f"Chromium ready in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
