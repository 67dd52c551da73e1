"""Run an example DAG with dag.test() and read the result back from the metadata DB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class DagRunOutcome:
    """A finished dag.test() run: its state, task states and XComs, from the metadata DB."""

    dag_run: Any

    @property
    def state(self) -> str:
        return self.dag_run.state

    def task_states(self) -> dict[tuple[str, int], str]:
        return {(ti.task_id, ti.map_index): ti.state for ti in self.dag_run.get_task_instances()}

    def task_instance(self, task_id: str, map_index: int = -1):
        return self.dag_run.get_task_instance(task_id, map_index=map_index)

    def xcom(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            query = XComModel.get_many(
                run_id=self.dag_run.run_id, dag_ids=self.dag_run.dag_id, task_ids=task_id, key=key,
                map_indexes=map_index,
            )
            row = session.scalars(query).one()
            return XComModel.deserialize_value(row)


def load_dag(dag_id: str):
    """The DAG as Airflow parses it from dags/ (with the settings the test has set)."""
    from airflow.dag_processing.dagbag import DagBag

    from local_runner.config import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def run_dag(dag) -> DagRunOutcome:
    return DagRunOutcome(dag.test())


def unpause(dag_id: str) -> None:
    """Register dags/ in the metadata DB (as the dag-processor would) and unpause one DAG.

    Asset events only queue runs of unpaused DAGs, and new DAGs start paused.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    bundle = manager.get_bundle("dags-folder")
    bundle.initialize()
    sync_bag_to_db(BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name),
                   bundle.name, bundle.version)
    with create_session() as session:
        session.get(DagModel, dag_id).is_paused = False
