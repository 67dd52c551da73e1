"""A run's copy of the dbt project (the "git clone") and the profiles.yml written for it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml

# Build output and local files a git clone would not contain (see demo_project/.gitignore).
_NOT_CLONED = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*", "profiles.yml", ".user.yml")


def clone_project(project_dir: Path, workspace: Path) -> None:
    shutil.rmtree(workspace, ignore_errors=True)
    shutil.copytree(project_dir, workspace, ignore=_NOT_CLONED)


def project_digest(project_dir: Path) -> str:
    """A 40-hex digest of the project's files: stands in for the git sha a run checked out."""
    digest = hashlib.sha1()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if path.is_file() and not any(part in ("target", "logs", "dbt_packages") for part in relative.parts):
            digest.update(relative.as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def profile_name(workspace: Path) -> str:
    project = yaml.safe_load((workspace / "dbt_project.yml").read_text())
    return project["profile"]


def write_profile(workspace: Path, *, target: str, threads: int, schema: str, warehouse_dir: Path) -> str:
    """Write profiles.yml for the run's DuckDB connection and return its text (secret-free, so it is logged)."""
    profile = {
        profile_name(workspace): {
            "target": target,
            "outputs": {
                target: {
                    "type": "duckdb",
                    "path": str(warehouse_dir / "warehouse.duckdb"),
                    "schema": schema,
                    "threads": threads,
                }
            },
        }
    }
    text = yaml.safe_dump(profile, sort_keys=False)
    (workspace / "profiles.yml").write_text(text)
    return text
