"""README "Use it in your own project", done for real: a bare Astro project with only the starter DAG,
include/dbt_cloud/ and the requirements lines runs `airflow dags test dbt_cloud_run_job` to success
against the emulator.

The project is laid out as `astro dev init` lays it out (its files, empty where their content does not
matter here). Airflow runs in a subprocess from the project's folder with a throwaway AIRFLOW_HOME and
the project on PYTHONPATH, as in the Astro image (and `make start`); the ids and the connection come
from the environment, as a user sets them. What is copied names nothing of this template's demo.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local_runner import demo_tenant as tenant
from tests.emulator_connection import provider_env
from tests.environment import ROOT
from tests.polling import SUCCESS

pytestmark = pytest.mark.e2e

# What `astro dev init` makes (astro-cli's airflow/include templates), besides dags/ and include/.
# The demo's emulator, ids, names, local paths and make targets (the L-package acceptance check's pattern).
DEMO_NAMES = re.compile(r"emulator|12345|70001|80001|jaffle|make (start|demo|jobs)|\.state/|override\.yml", re.I)
ASTRO_INIT_FILES = ["Dockerfile", "requirements.txt", "packages.txt", "airflow_settings.yaml", ".env", "README.md",
                    ".dockerignore", ".gitignore", "dags/.airflowignore", "tests/dags/test_dag_example.py",
                    ".astro/config.yaml", ".astro/test_dag_integrity_default.py", ".astro/dag_integrity_exceptions.txt"]


def readme_copy_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Use it in your own project", 1)[1].split("\n## ", 1)[0]


def readme_requirements() -> list[str]:
    """The requirements.txt lines the README tells a user to add."""
    [block] = re.findall(r"```\n(.*?)```", readme_copy_section(), flags=re.S)
    return [line.strip() for line in block.splitlines() if line.strip()]


def bare_project(path: Path) -> Path:
    for name in ASTRO_INIT_FILES:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).touch()
    (path / "plugins").mkdir()
    (path / "requirements.txt").write_text("\n".join(readme_requirements()) + "\n")
    shutil.copy(ROOT / "dags" / "dbt_cloud_run_job.py", path / "dags")
    shutil.copytree(ROOT / "include" / "dbt_cloud", path / "include" / "dbt_cloud",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (path / "include" / "__init__.py").touch()
    return path


def test_the_readme_names_exactly_the_templates_requirements():
    pinned = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert readme_requirements() == pinned
    for copied in ("include/dbt_cloud/", "plugins/dbt_cloud_stopped_deferrals.py"):
        assert f"`{copied}`" in readme_copy_section() and (ROOT / copied).exists()


def test_what_a_user_copies_names_nothing_of_the_demo(tmp_path):
    project = bare_project(tmp_path / "my-project")
    copied = sorted(project.glob("dags/*.py")) + sorted((project / "include").rglob("*.py"))
    hits = [f"{path.relative_to(project)}:{number}: {line.strip()}" for path in copied
            for number, line in enumerate(path.read_text().splitlines(), start=1) if DEMO_NAMES.search(line)]
    assert len(copied) > 2 and hits == []


def test_the_starter_dag_runs_in_a_bare_project_with_the_package_alone(emulator, dbt_cloud, tmp_path):
    project = bare_project(tmp_path / "my-project")
    home = tmp_path / "airflow-home"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AIRFLOW", "DBT_CLOUD_", "ASTRO_")) and key != "PYTHONPATH"}
    env.update(provider_env(emulator))  # AIRFLOW_CONN_DBT_CLOUD_DEFAULT and the emulator's CA bundle
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "PYTHONPATH": str(project), "DBT_CLOUD_ACCOUNT_ID": str(tenant.ACCOUNT_ID),
                "DBT_CLOUD_JOB_ID": str(tenant.BUILD_ALL_JOB_ID)})
    airflow = [str(Path(sys.executable).with_name("airflow"))]
    before = {run["id"] for run in dbt_cloud.runs(tenant.BUILD_ALL_JOB_ID)}

    for command in (["db", "migrate"], ["dags", "test", "dbt_cloud_run_job"]):
        done = subprocess.run(airflow + command, cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"airflow {' '.join(command)}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"

    assert sorted(p.name for p in (project / "include").iterdir()) == ["__init__.py", "dbt_cloud"]
    assert re.search(r"dag_run_state\W+success|state=success|DagRunState.SUCCESS", done.stdout + done.stderr), \
        done.stdout[-3000:]
    new = [run for run in dbt_cloud.runs(tenant.BUILD_ALL_JOB_ID) if run["id"] not in before]
    assert len(new) == 1, new
    run = dbt_cloud.run(new[0]["id"])
    assert run["status"] == SUCCESS, run["status_humanized"]
    assert "'run_dbt_cloud_job' in the dbt_cloud_run_job DAG" in run["trigger"]["cause"]
    assert "[airflow-task " in run["trigger"]["cause"]  # the package's operator, not the provider's alone
