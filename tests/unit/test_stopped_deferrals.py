"""Which stopped task instances the stopped-deferrals listener cancels a dbt Cloud run for."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from airflow.utils.state import TaskInstanceState

from include.dbt_cloud.trigger import ResilientDbtCloudRunJobTrigger
from plugins.dbt_cloud_stopped_deferrals import DbtCloudStoppedDeferralsPlugin, trigger_to_cancel

FAILED, SUCCESS, UP_FOR_RETRY = TaskInstanceState.FAILED, TaskInstanceState.SUCCESS, TaskInstanceState.UP_FOR_RETRY


def trigger_row(cancel_on_kill: bool) -> SimpleNamespace:
    """A row of Airflow's trigger table, as the API server's task instance carries it."""
    trigger = ResilientDbtCloudRunJobTrigger(conn_id="dbt_cloud_default", run_id=100001, end_time=2e9, account_id=12345,
                                             poll_interval=6, hook_params={"retry_limit": 3},
                                             cancel_on_kill=cancel_on_kill)
    classpath, kwargs = trigger.serialize()
    return SimpleNamespace(classpath=classpath, kwargs=kwargs)


def database_task_instance(state, cancel_on_kill=True) -> SimpleNamespace:
    return SimpleNamespace(task_id="run_job_deferrable", state=state, trigger_id=7, trigger=trigger_row(cancel_on_kill))


@pytest.mark.parametrize("state", [FAILED, SUCCESS])
def test_a_deferred_run_job_task_marked_failed_or_success_gets_its_trigger_back_to_cancel_with(state):
    trigger = trigger_to_cancel(database_task_instance(state), state)

    assert isinstance(trigger, ResilientDbtCloudRunJobTrigger) and trigger.cancel_on_kill
    assert (trigger.run_id, trigger.account_id, trigger.hook_params) == (100001, 12345, {"retry_limit": 3})


def test_a_sensor_never_cancels_the_run_it_watches():
    assert trigger_to_cancel(database_task_instance(FAILED, cancel_on_kill=False), FAILED) is None


def test_a_deferred_task_failing_into_a_retry_keeps_its_run():
    # The scheduler reports a failure that will be retried through the same hook: the retry re-attaches.
    assert trigger_to_cancel(database_task_instance(UP_FOR_RETRY), FAILED) is None


def test_a_task_that_was_not_deferred_is_left_to_its_own_on_kill():
    running = SimpleNamespace(task_id="run_dbt_cloud_job", state=FAILED, trigger_id=None, trigger=None)
    task_process_instance = SimpleNamespace(task_id="run_dbt_cloud_job", state=FAILED)  # the SDK's: no trigger at all

    assert trigger_to_cancel(running, FAILED) is None
    assert trigger_to_cancel(task_process_instance, FAILED) is None


def test_the_plugin_registers_the_module_as_a_listener():
    [listener] = DbtCloudStoppedDeferralsPlugin.listeners
    assert listener.on_task_instance_failed and listener.on_task_instance_success
