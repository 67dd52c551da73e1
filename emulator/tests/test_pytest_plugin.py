"""The pytest plugin as another project uses it: a throwaway project outside the repository installs the
emulator package from its path into a venv of its own and runs a test that uses the fixture."""

import os
import subprocess
import sys
import textwrap
import urllib.error
from pathlib import Path

import pytest

EMULATOR_DIR = Path(__file__).resolve().parents[1]
UV = EMULATOR_DIR.parent / ".tools" / "bin" / "uv"  # make install puts uv there (local_runner/install.py)

# One run, two tests: the first must pass, the second must fail (a wrong run id), so the outer test
# sees that the inner suite can fail.
INNER_TEST = '''
import pytest


@pytest.fixture(scope="module")
def finished_run(dbt_cloud_emulator):
    run = dbt_cloud_emulator.api("POST", "jobs/111/run/", {"cause": "from another project"})["data"]
    return dbt_cloud_emulator.wait_for_run(run["id"])


def test_the_run_id_reaches_run_results(dbt_cloud_emulator, finished_run):
    results = dbt_cloud_emulator.api("GET", f"runs/{finished_run['id']}/artifacts/run_results.json")
    assert finished_run["status"] == 10 and results["metadata"]["env"]["DBT_CLOUD_RUN_ID"] == str(finished_run["id"])


def test_a_wrong_run_id_fails(dbt_cloud_emulator, finished_run):
    results = dbt_cloud_emulator.api("GET", f"runs/{finished_run['id']}/artifacts/run_results.json")
    assert results["metadata"]["env"]["DBT_CLOUD_RUN_ID"] == str(finished_run["id"] + 1)
'''


def test_a_project_outside_the_repository_uses_the_fixture(tmp_path):
    assert UV.exists(), f"{UV} is missing: run `make install`"
    project = tmp_path / "another-project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_dbt_cloud.py").write_text(textwrap.dedent(INNER_TEST))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DBT_CLOUD_EMULATOR_", "VIRTUAL_ENV", "PYTHONPATH"))}
    venv = project / ".venv"
    for command in ([str(UV), "venv", "-q", "--python", sys.executable, str(venv)],
                    [str(UV), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), "-e", str(EMULATOR_DIR),
                     "pytest"]):
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    inner = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                           cwd=project, env=env, capture_output=True, text=True, timeout=600)
    summary = inner.stdout.strip().splitlines()[-1]
    assert inner.returncode == 1 and "1 failed, 1 passed" in summary, inner.stdout[-4000:] + inner.stderr[-2000:]
    assert "test_a_wrong_run_id_fails" in inner.stdout and "test_the_run_id_reaches_run_results" not in inner.stdout.split("short test summary")[-1]


def test_the_fixture_and_its_control_client(dbt_cloud_emulator):
    """The plugin's own fixture (the package's entry point loads it here too): the API, and each control."""
    emulator, control = dbt_cloud_emulator, dbt_cloud_emulator.control
    assert emulator.is_healthy() and emulator.trust_bundle.exists() and control.health() == {"status": "ok"}
    assert emulator.api("GET", "")["data"]["id"] == emulator.account_id

    ended_in_error, ended_in_success = control.synthetic_runs(999, count=2, seconds=0.2, fail=1)
    assert emulator.wait_for_run(ended_in_error)["status"] == 20
    assert emulator.wait_for_run(ended_in_success)["status"] == 10

    control.lock_out(emulator.account_id, seconds=30)
    with pytest.raises(urllib.error.HTTPError) as refused:
        emulator.api("GET", "runs/")
    assert refused.value.code == 429
    assert control.rate_limit()["accounts"][str(emulator.account_id)]["locked_until"] is not None
    limit = control.rate_limit()["per_minute"]
    assert control.set_rate_limit(per_minute=0)["per_minute"] == 0  # no limit: nothing is refused, not even a lock-out
    assert emulator.api("GET", "runs/")["data"]
    control.set_rate_limit(per_minute=limit)

    assert control.set_faults(rate=0.5, kinds=["500"])["rate"] == 0.5 and "injected" in control.faults()
    control.set_faults(rate=0)
    assert control.release_synthetic_runs() == {"released": 0, "failing": 0}
    assert control.reset_job(333) and control.stats()
