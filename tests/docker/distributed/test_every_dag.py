"""Last in the distributed stack (make test-distributed): every DAG by hand, then `compose down`.

The project's .env drops the synthetic job (`compose up -d` rolls the change out, as a deploy
does) and all 10 DAGs, triggered by hand, must succeed on the Celery workers; then nothing of the
stack may be left.
"""

from __future__ import annotations

from tests.docker.distributed.outcomes import DAGS
from tests.docker.report import LINES as REPORT
from tests.docker.stack import killed_leaving_nothing
from tests.docker.test_astro_dev import _expected_dag_ids, _failed_tasks_errors

# The emulator runs dbt one run at a time (~13 runs queue): 900 s was too short once at load 20.
DAG_RUNS_TIMEOUT = 1800


def test_every_dag_triggered_by_hand_succeeds_on_the_celery_workers(astro_project, project_env, airflow, dbt_cloud):
    project_env.write_text("")  # the demo jobs again, rolled out to every Airflow service
    astro_project.up()
    astro_project.wait_healthy()
    dag_ids = airflow.wait_for_dags(_expected_dag_ids())
    runs = {dag_id: airflow.trigger(dag_id) for dag_id in dag_ids}
    DAGS.update(airflow.wait_finished(runs, DAG_RUNS_TIMEOUT))
    workers = {ti["hostname"] for dag_id, run_id in runs.items() for ti in airflow.task_instances(dag_id, run_id)
               if ti["hostname"]}
    REPORT.append(f"{sum(s == 'success' for s in DAGS.values())} of {len(DAGS)} DAGs succeeded on the Celery workers "
                  f"(tasks ran on {len(workers)} hosts): {DAGS}")
    failed = {dag_id: _failed_tasks_errors(airflow, dag_id, runs[dag_id]) for dag_id, s in DAGS.items() if s != "success"}
    assert not failed, "\n".join(f"{dag_id}:\n{errors}" for dag_id, errors in failed.items())


def test_compose_down_leaves_no_container_network_or_volume(astro_project):
    assert killed_leaving_nothing(astro_project)
