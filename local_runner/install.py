"""Installs what local mode needs, only when it is missing or its inputs changed. Standard library only:
it runs before any virtual environment exists.

- .tools/  uv, from the package index
- .venv/   Airflow's environment: the image's Airflow and providers + requirements.txt + test tools
- emulator/.venv/  the emulator's own environment (dbt-core, dbt-duckdb, its web stack)
- .clients/<name>/  each dbt Cloud client the project drives (dbt-jobs-as-code for `make jobs-sync`,
  dbt-cloud-cli for the tests) in an environment of its own, pinned in local_runner/clients/<name>.txt
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT_PINS = ROOT / "local_runner" / "clients"
UV_VERSION = "0.13.8"
INSTALL_OPTIONS = "compileall"  # in the install stamp: a change to how venvs are made redoes them
REQUIRED_PYTHON = (3, 11)


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def find_python() -> str:
    if sys.version_info[:2] == REQUIRED_PYTHON:
        return sys.executable
    candidate = shutil.which("python3.11")
    if candidate:
        return candidate
    found = ".".join(map(str, sys.version_info[:3]))
    raise SystemExit(f"Python 3.11 is required, but `{sys.executable}` is {found} and no python3.11 is on PATH. "
                     "Install Python 3.11 (pyenv install 3.11, or your package manager's python3.11) and run the command again.")


def _run(argv: list[str], what: str) -> None:
    started = time.monotonic()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.stdout.write(done.stdout[-4000:])
        raise SystemExit(f"Installing {what} failed (exit {done.returncode}); the installer's output is above.")
    say(f"{what} ready in {time.monotonic() - started:.0f} s")


def _stamp(venv: Path, inputs: list[Path]) -> str:
    digest = hashlib.sha256(INSTALL_OPTIONS.encode())
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def _current(venv: Path, stamp: str) -> bool:
    marker = venv / ".installed-from"
    return (venv / "bin" / "python").exists() and marker.exists() and marker.read_text() == stamp


def uv(python: str) -> str:
    tool = ROOT / ".tools" / "bin" / "uv"
    if not tool.exists():
        say(f"Installing uv {UV_VERSION} into .tools/")
        subprocess.run([python, "-m", "venv", str(ROOT / ".tools")], check=True)
        _run([str(ROOT / ".tools" / "bin" / "pip"), "install", "-q", f"uv=={UV_VERSION}"], "uv")
    return str(tool)


def compile_bytecode(venv: Path) -> None:
    """Compile the venv's packages once: with PYTHONDONTWRITEBYTECODE set (as on many CI machines),
    every task process, dbt step and test would otherwise compile Airflow or dbt from source again."""
    [site_packages] = (venv / "lib").glob("python3*/site-packages")
    # A few packages ship files that are not valid Python 3 (templates, test data): not an error.
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", str(site_packages)],
                   stdout=subprocess.DEVNULL, check=False)


def ensure_venv(uv_bin: str, python: str, venv: Path, what: str, requirements: list[str], inputs: list[Path]) -> None:
    stamp = _stamp(venv, inputs)
    if _current(venv, stamp):
        return
    say(f"Installing {what} into {venv.relative_to(ROOT)}/ (first time: under a minute with a warm cache)")
    if not (venv / "bin" / "python").exists():
        _run([uv_bin, "venv", "-q", "--python", python, str(venv)], f"{venv.relative_to(ROOT)} virtual environment")
    _run([uv_bin, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *requirements], what)
    say(f"Compiling {what} to bytecode (once, so no process compiles it again)")
    compile_bytecode(venv)
    (venv / ".installed-from").write_text(stamp)


def main() -> None:
    python = find_python()
    uv_bin = uv(python)
    runtime = ROOT / "local_runner" / "astro-runtime-3.3-2.txt"
    airflow_inputs = [runtime, ROOT / "requirements.txt", ROOT / "tests" / "requirements.txt"]
    ensure_venv(uv_bin, python, ROOT / ".venv", "Airflow 3.3.2 + requirements.txt",
                [arg for path in airflow_inputs for arg in ("-r", str(path))], airflow_inputs)
    emulator = ROOT / "emulator"
    ensure_venv(uv_bin, python, emulator / ".venv", "the dbt Cloud emulator (dbt-core, dbt-duckdb)",
                ["-e", f"{emulator}[test]"], [emulator / "pyproject.toml"])
    for pins in sorted(CLIENT_PINS.glob("*.txt")):
        ensure_venv(uv_bin, python, client_venv(pins.stem), pins.read_text().strip(), ["-r", str(pins)], [pins])


def client_venv(name: str) -> Path:
    """The environment of one dbt Cloud client (dbt-cloud-cli, dbt-jobs-as-code)."""
    return ROOT / ".clients" / name


if __name__ == "__main__":
    main()
