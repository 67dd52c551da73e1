"""A newcomer's first run, in a real browser: log in to the Airflow UI, trigger dbt_cloud_run_job,
watch it succeed in the grid, and follow "Monitor Job Run" to the dbt Cloud (emulator) run page.

Runs headless Chromium against an isolated `make start` stack. Each step leaves a screenshot in
tests/artifacts/browser/ (NN-<step>.png, or NN-<step>-FAILED.png where it broke), and two for the
README: airflow-grid-success.png and emulator-run-page.png.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote, unquote, urlsplit

import pytest

from local_runner.browser_install import CHROMIUM, MANUAL_STEP

if not CHROMIUM.exists():  # e.g. a Mac, or inside the Astro image (`astro dev pytest`)
    pytest.skip(f"Chromium is not installed at {CHROMIUM}: to run the browser test, {MANUAL_STEP}; "
                "`make test` run as root installs it itself", allow_module_level=True)

from playwright.sync_api import Error as PlaywrightError  # noqa: E402  (only where Chromium is)
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from tests.browser.screenshots import ARTIFACTS, StepScreenshots  # noqa: E402

DAG_ID = "dbt_cloud_run_job"
TASK_ID = "run_dbt_cloud_job"
ACCOUNT_ID, PROJECT_ID = 12345, 70001
RUN_TIMEOUT_S = 240  # the demo run takes about 30 s; the DAG's own timeout is 30 minutes

pytestmark = pytest.mark.e2e


def log_in(page, airflow_url: str) -> None:
    page.goto(airflow_url)
    page.wait_for_url(re.compile(r"/auth/login"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{airflow_url}/")


def open_dag_from_list(page, airflow_url: str) -> None:
    page.get_by_test_id("nav-dags-link").click()
    link = page.get_by_role("link", name=DAG_ID, exact=True)
    # Right after start the dag-processor may not have parsed every file yet: look again, as a person would.
    deadline = time.monotonic() + 90
    while True:
        page.get_by_role("textbox", name="Search Dags").fill(DAG_ID)
        try:
            # The search is debounced and then written into the URL: if a click navigates first, that late
            # write lands on the next page's URL. Once the list shows the one match, the search is done.
            page.get_by_role("heading", name=re.compile(r"^1 Dags?$")).wait_for(timeout=5000)
            link.wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                pytest.fail(f"{DAG_ID} was not in the Dags list after 90 s: see `make logs SERVICE=dag-processor`")
            page.reload()
    link.click()
    page.wait_for_url(re.compile(rf"^{re.escape(airflow_url)}/dags/{DAG_ID}(\?.*)?$"))
    # The URL changes before the Dag page replaces the list, whose every row has a pause toggle too:
    # wait for the Dag page's own tabs, then for what the next steps use.
    page.get_by_role("link", name="Overview", exact=True).wait_for()
    page.get_by_test_id("toggle-pause").wait_for()
    page.get_by_test_id(f"task-{TASK_ID}").wait_for()


def unpause_if_paused(page) -> None:
    toggle = page.get_by_test_id("toggle-pause")
    if toggle.get_attribute("data-state") != "checked":
        toggle.click()
    expect(toggle).to_have_attribute("data-state", "checked")


def open_trigger_dialog(page):
    page.get_by_role("button", name="Trigger Dag").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name=f"Trigger Dag - {DAG_ID}").wait_for()
    return dialog


def trigger_single_run(page, dialog) -> str:
    """Press Trigger (a single run, the dialog's default); returns the id of the Dag run the UI then opens."""
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    page.wait_for_url(re.compile(rf"/dags/{DAG_ID}/runs/[^/?]+(\?.*)?$"))
    dag_run_id = unquote(urlsplit(page.url).path.rsplit("/", 1)[1])
    # As with the Dag page, the URL changes first: wait until the run's own page shows it.
    page.get_by_test_id("header-card").get_by_role("heading", name=dag_run_id, exact=True).wait_for()
    return dag_run_id


def wait_for_run_to_finish(page, timeout_s: float) -> str:
    """The Dag run's state as its page shows it, once Success or Failed (the UI refreshes itself while it runs)."""
    badge = page.get_by_test_id("header-card").get_by_test_id("state-badge")
    deadline = time.monotonic() + timeout_s
    last_reload = time.monotonic()
    state = ""
    while time.monotonic() < deadline:
        state = badge.inner_text().strip()
        if state in ("Success", "Failed"):
            return state
        # Belt and braces: if the auto-refresh ever stalls, a reload shows the current state.
        if time.monotonic() - last_reload > 30:
            page.reload()
            last_reload = time.monotonic()
        page.wait_for_timeout(2000)
    pytest.fail(f"the Dag run was still {state!r} in the UI after {timeout_s:.0f} s")


def grid_tooltip(page, cell) -> str:
    """The text of the grid cell's hover card (task id, state, run id): the grid's own word on the state."""
    tooltip = page.get_by_role("tooltip")
    for _ in range(3):
        page.mouse.move(0, 0)  # a tooltip opens on the pointer entering the cell, so enter it afresh
        cell.hover()
        try:
            tooltip.wait_for(timeout=5000)
            return tooltip.inner_text()
        except PlaywrightTimeout:
            continue
    pytest.fail("hovering the grid cell showed no tooltip")


def job_run_id_from_xcom(airflow_url: str, session, dag_run_id: str) -> int:
    base = f"{airflow_url}/api/v2/dags/{DAG_ID}/dagRuns/{quote(dag_run_id, safe='')}/taskInstances/{TASK_ID}"
    response = session.get(f"{base}/xcomEntries/job_run_id", timeout=10)
    assert response.ok, f"reading XCom job_run_id: {response.status_code} {response.text[:300]}"
    return int(response.json()["value"])


def test_newcomer_triggers_the_dag_and_follows_the_link_to_the_dbt_cloud_run(local_stack, browser_context):
    from local_runner.airflow import api_session

    airflow_url = local_stack.airflow_url
    page = browser_context.new_page()
    shots = StepScreenshots(ARTIFACTS, page)

    with shots.step("login"):
        log_in(page, airflow_url)
    with shots.step("dag-page"):
        open_dag_from_list(page, airflow_url)
    with shots.step("unpaused"):
        unpause_if_paused(page)
    with shots.step("trigger-dialog"):
        dialog = open_trigger_dialog(page)
    with shots.step("triggered"):
        dag_run_id = trigger_single_run(page, dialog)
    with shots.step("run-finished"):
        state = wait_for_run_to_finish(page, RUN_TIMEOUT_S)
        assert state == "Success", f"the Dag run {dag_run_id} ended {state}: see its task log in the screenshot"
        cell = page.get_by_test_id(f"grid-{dag_run_id}-{TASK_ID}")
        cell.wait_for()
    shots.save("airflow-grid-success")
    with shots.step("grid-cell-success"):
        tooltip = grid_tooltip(page, cell)
        assert "State: Success" in tooltip and f"Run ID: {dag_run_id}" in tooltip, tooltip

    job_run_id = job_run_id_from_xcom(airflow_url, api_session(local_stack), dag_run_id)
    expected_href = f"{local_stack.emulator_web_url}/deploy/{ACCOUNT_ID}/projects/{PROJECT_ID}/runs/{job_run_id}/"

    with shots.step("task-extra-links"):
        cell.click()
        # The Dag run page has a Details tab too, until the task instance page replaces it: pick the task's.
        page.locator(f'a[href$="/tasks/{TASK_ID}/details"]', has_text="Details").click()
        monitor = page.get_by_role("link", name="Monitor Job Run")
        assert monitor.get_attribute("href") == expected_href
    with shots.step("monitor-job-run-opened"):
        with browser_context.expect_page() as new_tab:
            monitor.click()  # the link opens dbt Cloud in a new tab
        run_page = shots.page = new_tab.value
        run_page.wait_for_load_state()
        assert run_page.url == expected_href
        heading = run_page.get_by_role("heading", level=1)
        assert re.fullmatch(rf"Run #{job_run_id}\s+Success", heading.inner_text().strip()), heading.inner_text()
        steps = [s.strip() for s in run_page.locator("details > summary").all_inner_texts()]
        assert steps and all(s.startswith("Success") for s in steps), steps
    [build] = run_page.locator("details > summary").filter(has_text="`dbt build`").all()
    build.click()  # open the dbt build log, the part of the page a newcomer looks for
    shots.save("emulator-run-page")

    # This browser is stock: the emulator's HTTPS API, signed by the emulator's own CA, is refused.
    with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
        browser_context.new_page().goto(f"{local_stack.emulator_url}/_emulator/health")
