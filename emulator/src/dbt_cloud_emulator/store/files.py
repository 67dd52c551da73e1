"""The run folder under STATE_DIR: each step's logs and artifacts, and each run's dbt workspace.

Layout: runs/<run_id>/workspace/ (deleted when the run ends)
        runs/<run_id>/steps/<index>/logs.txt     dbt's stdout (the step's `logs`)
        runs/<run_id>/steps/<index>/dbt.log      dbt's debug log (the step's `debug_logs`)
        runs/<run_id>/steps/<index>/artifacts/   copies of target/ files the step produced
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

# What a dbt step leaves in target/ that dbt Cloud serves as run artifacts.
ARTIFACT_FILES = ("manifest.json", "run_results.json", "catalog.json", "sources.json", "semantic_manifest.json")
ARTIFACT_FOLDERS = ("compiled", "run")


class UnsafeArtifactPath(ValueError):
    """An artifact path that would leave the step's artifact folder."""


class RunFiles:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "runs"

    def workspace(self, run_id: int) -> Path:
        return self.root / str(run_id) / "workspace"

    def step_dir(self, run_id: int, index: int) -> Path:
        return self.root / str(run_id) / "steps" / str(index)

    def log_path(self, run_id: int, index: int) -> Path:
        return self.step_dir(run_id, index) / "logs.txt"

    def debug_log_path(self, run_id: int, index: int) -> Path:
        return self.step_dir(run_id, index) / "dbt.log"

    def artifacts_dir(self, run_id: int, index: int) -> Path:
        return self.step_dir(run_id, index) / "artifacts"

    def read_log(self, path: Path, tail_lines: int | None = None) -> str:
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        if tail_lines is not None:
            text = "".join(text.splitlines(keepends=True)[-tail_lines:])
        return text

    def save_artifacts(self, run_id: int, index: int, target_dir: Path) -> bool:
        """Copy what the step left in target/; True if it produced any artifact."""
        destination = self.artifacts_dir(run_id, index)
        saved = False
        for name in ARTIFACT_FILES:
            if (target_dir / name).is_file():
                destination.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target_dir / name, destination / name)
                saved = True
        for folder in ARTIFACT_FOLDERS:
            if (target_dir / folder).is_dir():
                shutil.copytree(target_dir / folder, destination / folder, dirs_exist_ok=True)
        return saved

    def list_artifacts(self, run_id: int, index: int) -> list[str]:
        folder = self.artifacts_dir(run_id, index)
        if not folder.is_dir():
            return []
        top = [name for name in ARTIFACT_FILES if (folder / name).is_file()]
        nested = sorted(
            path.relative_to(folder).as_posix()
            for sub in ARTIFACT_FOLDERS
            for path in (folder / sub).rglob("*")
            if path.is_file()
        )
        return top + nested

    def artifact(self, run_id: int, index: int, relative: str) -> Path | None:
        """The stored artifact file, or None; raises UnsafeArtifactPath for absolute or '..' paths."""
        folder = self.artifacts_dir(run_id, index)
        candidate = (folder / check_relative(relative)).resolve()
        if not candidate.is_relative_to(folder.resolve()):
            raise UnsafeArtifactPath(relative)
        return candidate if candidate.is_file() else None

    def remove_workspaces(self, run_ids: Iterable[int]) -> None:
        for run_id in run_ids:
            shutil.rmtree(self.workspace(run_id), ignore_errors=True)


def check_relative(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if not relative or "\\" in relative or "\x00" in relative or path.is_absolute() or ".." in path.parts:
        raise UnsafeArtifactPath(relative)
    return path
