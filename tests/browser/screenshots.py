"""One screenshot per step of a browser flow, so a failed run can be looked at afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_runner.config import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "browser"  # ignored by git


class StepScreenshots:
    """Saves `NN-<step>.png` of the current page after each step, or `NN-<step>-FAILED.png` when it raises."""

    def __init__(self, folder: Path, page) -> None:
        self.folder = folder
        self.page = page  # the tab to photograph; the flow switches it when a link opens a new tab
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        # Screenshots of an earlier run would mix with this run's and mislead whoever debugs it.
        for old in folder.glob("*.png"):
            old.unlink()

    def save(self, name: str) -> Path:
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=path)
        return path

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.count += 1
        label = f"{self.count:02d}-{name}"
        try:
            yield
        except BaseException:
            self.save(f"{label}-FAILED")
            raise
        self.save(label)
