"""The operator's run bookkeeping on fake run lists: the task key, adoption, the rerun walk, cleared tries.

No dbt Cloud: the operator's hook is a fake holding the job's runs (newest first, as the operator
asks for them); what the operator triggers, adopts or cancels is read off it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from airflow.providers.dbt.cloud.hooks.dbt import DbtCloudJobRunStatus

from include.dbt_cloud.hook import TransientDbtCloudError
from include.dbt_cloud.operators import (
    _MAX_CAUSE_LENGTH,
    ResilientDbtCloudRunJobOperator,
    _cause_with_key,
    _first_try_since_clear,
    _is_rerun_of,
    _key_tag,
    _task_key,
    _task_keys,
)

SUCCESS, ERROR, CANCELLED = (DbtCloudJobRunStatus.SUCCESS.value, DbtCloudJobRunStatus.ERROR.value,
                             DbtCloudJobRunStatus.CANCELLED.value)
RUNNING, QUEUED = DbtCloudJobRunStatus.RUNNING.value, DbtCloudJobRunStatus.QUEUED.value
JOB_ID = 7


def context(try_number: int = 1, max_tries: int = 2, run_id: str = "manual__1") -> dict[str, Any]:
    ti = SimpleNamespace(dag_id="dag", run_id=run_id, task_id="run", map_index=-1, try_number=try_number,
                         max_tries=max_tries)
    return {"ti": ti}


def run(run_id: int, status: int, cause: str = "", *, retrying_run_id: int | None = None,
        category: str = "") -> dict[str, Any]:
    return {"id": run_id, "status": status, "status_humanized": DbtCloudJobRunStatus(status).name,
            "href": f"https://dbt.example/runs/{run_id}/", "retrying_run_id": retrying_run_id,
            "trigger": {"cause": cause, "cause_category": category}}


class FakeHook:
    """The job's runs, newest first; triggering adds one (or loses its answer), cancelling records it."""

    retry_limit = 3

    def __init__(self, runs: list[dict[str, Any]], lose_answers: int = 0) -> None:
        self.runs, self.lose_answers = runs, lose_answers
        self.triggered: list[dict[str, Any]] = []
        self.cancelled: list[int] = []

    def get_job_runs(self, account_id, payload):
        return SimpleNamespace(json=lambda: {"data": list(self.runs)})

    def trigger_job_run(self, **kwargs):
        created = run(1000 + len(self.triggered), QUEUED, kwargs["cause"])
        self.triggered.append(kwargs)
        self.runs.insert(0, created)
        if self.lose_answers:
            self.lose_answers -= 1
            raise TransientDbtCloudError(SimpleNamespace(status_code=502, reason="Bad Gateway"))
        return SimpleNamespace(json=lambda: {"data": created})

    def cancel_job_run(self, run_id, account_id):
        self.cancelled.append(run_id)

    def wait_for_job_run_status(self, run_id, account_id, **kwargs):
        return True


def operator(hook: FakeHook, retry_from_failure: bool = False, retries: int = 2) -> ResilientDbtCloudRunJobOperator:
    task = ResilientDbtCloudRunJobOperator(task_id="run", job_id=JOB_ID, account_id=1, retries=retries,
                                           retry_from_failure=retry_from_failure, trigger_reason="Triggered by Airflow.")
    task.__dict__["hook"] = hook  # the cached_property's slot
    return task


def cause_of(ctx: dict[str, Any], first_try: int = 1) -> str:
    return _key_tag(_task_key("dag", ctx["ti"].run_id, "run", -1, first_try))


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("include.dbt_cloud.operators.time.sleep", lambda seconds: None)


# The key

def test_the_key_is_the_same_for_every_retry_and_differs_per_task_instance_and_clear():
    key = _task_key("dag", "run", "task", -1, 1)
    assert key == _task_key("dag", "run", "task", -1, 1) and len(key) == 16
    others = [_task_key("dag2", "run", "task", -1, 1), _task_key("dag", "run2", "task", -1, 1),
              _task_key("dag", "run", "task2", -1, 1), _task_key("dag", "run", "task", 0, 1),
              _task_key("dag", "run", "task", -1, 4)]
    assert key not in others and len(set(others)) == len(others)


@pytest.mark.parametrize("max_tries, retries, first_try", [(2, 2, 1), (5, 2, 4), (0, 0, 1), (3, 0, 4)])
def test_the_first_try_since_the_last_clear(max_tries, retries, first_try):
    # A DAG run starts with max_tries = retries; a clear after 3 tries sets it to 3 + retries.
    assert _first_try_since_clear(max_tries, retries) == first_try


def test_a_cleared_task_knows_its_keys_before_the_clear():
    key, earlier = _task_keys(context(try_number=4, max_tries=5), retries=2)
    assert key == _task_key("dag", "manual__1", "run", -1, 4)
    assert earlier == [_task_key("dag", "manual__1", "run", -1, n) for n in (1, 2, 3)]


def test_the_cause_keeps_its_key_within_dbt_clouds_limit():
    key = _task_key("dag", "run", "task", -1, 1)
    cause = _cause_with_key("x" * 400, key, context(run_id="r" * 300))
    assert len(cause) <= _MAX_CAUSE_LENGTH and cause.endswith(_key_tag(key))
    assert _cause_with_key("Triggered.", key, context(try_number=2)) == f"Triggered. DAG run manual__1, try 2. {_key_tag(key)}"


@pytest.mark.parametrize("candidate, expected", [
    (run(2, QUEUED, retrying_run_id=1), True),
    (run(2, QUEUED, retrying_run_id=9), False),
    (run(2, QUEUED, category="rerun"), True),  # dbt Cloud without retrying_run_id: the trigger says so
    (run(2, QUEUED, category="api"), False),
])
def test_what_counts_as_the_rerun_of_a_failed_run(candidate, expected):
    assert _is_rerun_of(candidate, run(1, ERROR)) is expected


# Adoption (row O1)

@pytest.mark.parametrize("status", [QUEUED, RUNNING, SUCCESS])
def test_a_retry_adopts_its_earlier_trys_run_in_progress_or_succeeded(status):
    ctx = context(try_number=2)
    hook = FakeHook([run(5, RUNNING, "someone else's"), run(4, status, f"Triggered. {cause_of(ctx)}")])

    assert operator(hook)._get_or_trigger_run(ctx) == (4, "https://dbt.example/runs/4/")
    assert hook.triggered == []


@pytest.mark.parametrize("status", [ERROR, CANCELLED])
def test_a_retry_after_a_failed_or_cancelled_run_triggers_a_new_one_with_the_key(status):
    ctx = context(try_number=2)
    hook = FakeHook([run(4, status, f"Triggered. {cause_of(ctx)}")])

    run_id, _ = operator(hook)._get_or_trigger_run(ctx)

    assert run_id == 1000
    [trigger] = hook.triggered
    assert trigger["cause"].endswith(cause_of(ctx)) and "try 2" in trigger["cause"]


def test_a_run_of_another_task_or_dag_run_is_never_adopted():
    ctx = context()
    other = context(run_id="manual__2")
    hook = FakeHook([run(4, RUNNING, f"Triggered. {cause_of(other)}"), run(3, SUCCESS, "by hand")])

    assert operator(hook)._get_or_trigger_run(ctx)[0] == 1000


def test_a_trigger_whose_answer_was_lost_is_found_not_repeated():
    ctx = context()
    hook = FakeHook([], lose_answers=1)

    assert operator(hook)._get_or_trigger_run(ctx)[0] == 1000
    assert len(hook.triggered) == 1


def test_triggers_without_answers_give_up_after_retry_limit():
    hook = FakeHook([], lose_answers=99)
    hook.get_job_runs = lambda account_id, payload: SimpleNamespace(json=lambda: {"data": []})  # never visible

    with pytest.raises(TransientDbtCloudError):
        operator(hook)._get_or_trigger_run(context())
    assert len(hook.triggered) == FakeHook.retry_limit


def test_the_same_operator_object_keys_its_reason_once_across_tries():
    hook = FakeHook([])
    task = operator(hook)
    task._get_or_trigger_run(context(try_number=1))
    hook.runs[0]["status"] = ERROR
    task._get_or_trigger_run(context(try_number=2))

    assert [t["cause"].count("[airflow-task") for t in hook.triggered] == [1, 1]


# The rerun walk (row O2)

def test_with_retry_from_failure_the_newest_rerun_of_the_tasks_failed_run_is_adopted():
    ctx = context(try_number=3)
    hook = FakeHook([run(7, RUNNING, retrying_run_id=6), run(6, ERROR, retrying_run_id=5),
                     run(5, ERROR, f"Triggered. {cause_of(ctx)}")])

    assert operator(hook, retry_from_failure=True)._get_or_trigger_run(ctx)[0] == 7
    assert hook.triggered == []


def test_the_walk_stops_at_a_run_that_is_not_a_rerun():
    ctx = context(try_number=2)
    hook = FakeHook([run(6, RUNNING, "by hand", category="api"), run(5, ERROR, f"Triggered. {cause_of(ctx)}")])

    task = operator(hook, retry_from_failure=True)
    assert task._latest_run_of_this_task(hook.runs, _task_key("dag", "manual__1", "run", -1, 1))["id"] == 5


def test_the_walk_does_not_follow_a_run_that_succeeded():
    ctx = context(try_number=2)
    hook = FakeHook([run(6, RUNNING, retrying_run_id=5), run(5, SUCCESS, f"Triggered. {cause_of(ctx)}")])

    task = operator(hook, retry_from_failure=True)
    assert task._latest_run_of_this_task(hook.runs, _task_key("dag", "manual__1", "run", -1, 1))["id"] == 5


def test_without_retry_from_failure_reruns_are_not_followed():
    ctx = context(try_number=2)
    runs = [run(6, RUNNING, retrying_run_id=5), run(5, ERROR, f"Triggered. {cause_of(ctx)}")]

    assert operator(FakeHook(runs))._latest_run_of_this_task(runs, _task_key("dag", "manual__1", "run", -1, 1))["id"] == 5


# Runs of cleared tries (row O3)

def test_the_next_try_of_a_cleared_task_cancels_its_stopped_tries_runs_still_in_progress():
    ctx = context(try_number=3, max_tries=4)  # cleared after two tries: the first try since the clear is 3
    hook = FakeHook([run(9, RUNNING, f"x {cause_of(ctx, first_try=1)}"), run(8, SUCCESS, f"x {cause_of(ctx, first_try=2)}"),
                     run(7, RUNNING, "someone else's")])

    assert operator(hook)._get_or_trigger_run(ctx)[0] == 1000
    assert hook.cancelled == [9]
