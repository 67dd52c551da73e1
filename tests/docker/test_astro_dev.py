"""`astro dev start` for real: the project run in a Docker engine as the Astro CLI composes it (Airflow 3).

The stack is the CLI's generated compose file merged with docker-compose.override.yml as committed,
on the images built from the Dockerfile and emulator/Dockerfile. A person's day is then checked where
it happens: every DAG triggered by hand succeeds and its dbt Cloud runs succeed in the emulator, the
Monitor Job Run link opens the run's page through the published port, `astro dev pytest` and
`astro dev parse` pass in the project image, and `astro dev kill` leaves nothing behind.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from local_runner import demo_tenant
from tests.docker.airflow_rest import AirflowRest
from tests.docker.report import LINES as REPORT
from tests.docker.stack import killed_leaving_nothing
from tests.environment import ROOT

DBT_CLOUD_SUCCESS = 10
DAG_RUNS_TIMEOUT = 900  # the emulator runs dbt one run at a time (one DuckDB writer): ~13 runs queue
LINK_DAG, LINK_TASK = "dbt_cloud_run_job", "run_dbt_cloud_job"


def _expected_dag_ids() -> set[str]:
    """The DAGs in dags/, as a DagBag on the host finds them (the containers must serialize the same)."""
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c",
         "from airflow.dag_processing.dagbag import DagBag; b = DagBag('dags'); "
         "assert not b.import_errors, b.import_errors; print('DAG_IDS', *b.dag_ids)"],
        cwd=ROOT, capture_output=True, text=True, env={"AIRFLOW_HOME": tempfile.mkdtemp(), "PATH": "/usr/bin:/bin",
                                                      "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                                                      **demo_tenant.dag_settings()})  # as the override gives them
    assert done.returncode == 0, done.stderr[-2000:]
    [listed] = [line for line in done.stdout.splitlines() if line.startswith("DAG_IDS ")]
    return set(listed.split()[1:])


def _failed_tasks_errors(airflow: AirflowRest, dag_id: str, run_id: str) -> str:
    """The error lines of every failed (or retrying) task's log: what a person reads in the UI."""
    found = []
    for ti in airflow.task_instances(dag_id, run_id):
        if ti["state"] in ("failed", "up_for_retry"):
            errors = [line for line in airflow.task_log(dag_id, run_id, ti) if re.search(r"error|exception", line, re.I)]
            found.append(f"  {ti['task_id']} ({ti['state']}, try {ti['try_number']}):\n    " + "\n    ".join(errors[-6:]))
    return "\n".join(found) or "  (no failed task)"


@pytest.fixture(scope="module")
def triggered(astro_project, airflow) -> dict[str, tuple[str, str]]:
    """Every DAG triggered by hand at once, as a person clicking Trigger on each: dag_id -> (run_id, state)."""
    dag_ids = airflow.wait_for_dags(_expected_dag_ids())
    runs = {dag_id: airflow.trigger(dag_id) for dag_id in dag_ids}
    states = airflow.wait_finished(runs, DAG_RUNS_TIMEOUT)
    return {dag_id: (runs[dag_id], states[dag_id]) for dag_id in dag_ids}


def test_every_dag_triggered_by_hand_succeeds_and_its_dbt_cloud_runs_succeed(astro_project, airflow, dbt_cloud, triggered):
    problems, lines = [], []
    for dag_id, (run_id, state) in triggered.items():
        dbt_runs = []
        for ti in airflow.task_instances(dag_id, run_id):
            run = airflow.xcom(dag_id, run_id, ti["task_id"], "job_run_id", ti["map_index"])
            if run is not None:
                dbt_runs.append(dbt_cloud.run(int(run)))
            if "DbtCloudRunJob" in (ti.get("operator") or "") and run is None:
                problems.append(f"{dag_id}.{ti['task_id']} ({ti['state']}) has no dbt Cloud run")
        described = ", ".join(f"#{r['id']} {r['status_humanized']}" for r in dbt_runs) or "no dbt Cloud run"
        lines.append(f"  {dag_id}: {state}; dbt Cloud: {described}")
        if state != "success":
            problems.append(f"{dag_id} ended {state}:\n{_failed_tasks_errors(airflow, dag_id, run_id)}")
        problems += [f"{dag_id}: dbt Cloud run #{r['id']} ended {r['status_humanized']}"
                     for r in dbt_runs if r["status"] != DBT_CLOUD_SUCCESS]
    succeeded = sum(state == "success" for _, state in triggered.values())
    REPORT.append(f"{succeeded} of {len(triggered)} DAGs succeeded (triggered by hand through the REST API)")
    REPORT.extend(lines)
    assert not problems, "\n".join(problems)


def test_the_monitor_job_run_link_opens_the_runs_page(airflow, dbt_cloud, triggered):
    run_id, _ = triggered[LINK_DAG]
    links = airflow.extra_links(LINK_DAG, run_id, LINK_TASK)
    href = links.get("Monitor Job Run")  # what the UI's button opens
    assert href, f"no Monitor Job Run link on {LINK_DAG}.{LINK_TASK}: {links}"
    dbt_run_id = int(airflow.xcom(LINK_DAG, run_id, LINK_TASK, "job_run_id"))
    # A browser opens the href as it is; an https page is checked against the emulator's own CA.
    page = requests.get(href, timeout=30, verify=str(dbt_cloud.session.verify))
    REPORT.append(f"Monitor Job Run link: {href} -> HTTP {page.status_code}")
    assert page.status_code == 200, f"{href}: {page.status_code} {page.text[:300]}"
    assert str(dbt_run_id) in page.text, f"{href} does not show run {dbt_run_id}"


def test_astro_dev_pytest_passes_in_the_project_image(astro_project):
    result = astro_project.pytest()
    REPORT.append(f"astro dev pytest: exit {result.exit_code}, {result.summary}")
    assert result.exit_code == 0, result.output[-6000:]
    unnamed = [line for line in result.skip_reasons if not line.split(":", 2)[-1].strip()]
    assert not unnamed, f"skips without a reason: {unnamed}"


def test_astro_dev_parse_passes_in_the_project_image(astro_project):
    result = astro_project.parse()
    REPORT.append(f"astro dev parse: exit {result.exit_code}, {result.summary}")
    assert result.exit_code == 0, result.output[-6000:]


def test_astro_dev_kill_leaves_no_container_network_or_volume(astro_project):
    assert killed_leaving_nothing(astro_project)
