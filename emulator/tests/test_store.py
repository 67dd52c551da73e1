"""RunStore: runs, steps, filters, ordering, pages, per-job state, and persistence across reopen."""

import time

from dbt_cloud_emulator.store import RunFilter, RunStore
from dbt_cloud_emulator.store.records import PlannedStep

PLAN = [PlannedStep("Clone Git Repository", "clone"), PlannedStep("Invoke dbt with `dbt build`", "dbt", "dbt build")]


def _create(store, job_id=111, account_id=12345, environment_id=80001):
    return store.create_run(
        account_id=account_id, project_id=70001, environment_id=environment_id, job_id=job_id,
        dbt_version="1.11.0", git_branch="main", git_sha="abc", trigger={"cause": "test"}, plan=PLAN,
    )


def test_runs_are_created_queued_with_high_ids_and_round_trip(tmp_path):
    store = RunStore(tmp_path / "db.sqlite3")
    run = _create(store)
    assert run.id == 100001 and run.status == 1
    assert store.get_run(run.id).plan == tuple(PLAN)
    assert store.get_run(run.id).trigger == {"cause": "test"}
    assert store.get_run(999) is None


def test_list_filters_orders_and_pages(tmp_path):
    store = RunStore(tmp_path / "db.sqlite3")
    runs = [_create(store, job_id=111 if i % 2 else 222) for i in range(7)]
    _create(store, account_id=54321)
    store.update_run(runs[0].id, status=10, finished_at=time.time())
    store.update_run(runs[1].id, status=20, finished_at=time.time() - 100)

    page, total = store.list_runs(12345, RunFilter(), "id", limit=3, offset=0)
    assert total == 7 and [r.id for r in page] == [r.id for r in runs[:3]]
    page, total = store.list_runs(12345, RunFilter(), "-id", limit=3, offset=6)
    assert [r.id for r in page] == [runs[0].id]
    page, total = store.list_runs(12345, RunFilter(job_id=111), "-created_at", 100, 0)
    assert total == 3 and [r.id for r in page] == [runs[5].id, runs[3].id, runs[1].id]
    page, total = store.list_runs(12345, RunFilter(statuses=(10, 20)), "finished_at", 100, 0)
    assert [r.id for r in page] == [runs[1].id, runs[0].id]
    assert store.list_runs(12345, RunFilter(statuses=()), "id", 100, 0) == ([], 0)
    assert store.latest_run_of_job(222).id == runs[6].id


def test_steps_and_job_state_persist_across_reopen(tmp_path):
    store = RunStore(tmp_path / "db.sqlite3")
    run = _create(store)
    store.add_step(run, 1, "Clone Git Repository", 3)
    store.update_step(run.id, 1, status=10, finished_at=time.time(), has_artifacts=1)
    store.set_late_data_landed(333, True)
    store.close()

    reopened = RunStore(tmp_path / "db.sqlite3")
    (step,) = reopened.steps_of([run.id])[run.id]
    assert (step.index, step.name, step.status, step.has_artifacts) == (1, "Clone Git Repository", 10, True)
    assert reopened.late_data_landed(333) and not reopened.late_data_landed(111)
    assert _create(reopened).id == run.id + 1
