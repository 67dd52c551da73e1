"""The HTML page a run's href opens: status, steps with durations and logs; refreshes while in progress."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dbt_cloud_emulator.api.timefmt import humanized_duration, timestamp
from dbt_cloud_emulator.engine import RunStatus
from dbt_cloud_emulator.state import EmulatorState

router = APIRouter()
REFRESH_SECONDS = 3
COLORS = {1: "#777", 2: "#b58900", 3: "#268bd2", 10: "#2aa745", 20: "#dc322f", 30: "#999"}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">{refresh}<title>Run #{run_id}: {status}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
.badge {{ color: white; padding: .1rem .5rem; border-radius: .3rem; }}
details {{ margin: .4rem 0; }} summary {{ cursor: pointer; }}
pre {{ background: #f6f8fa; padding: .8rem; overflow-x: auto; max-height: 30rem; font-size: .8rem; }}
td, th {{ padding: .1rem 1rem .1rem 0; text-align: left; }}
</style></head><body>
<h1>Run #{run_id} <span class="badge" style="background:{color}">{status}</span></h1>
<table>
<tr><th>Job</th><td>{job_id}: {job_name}</td></tr>
<tr><th>Cause</th><td>{cause}</td></tr>
<tr><th>Created</th><td>{created}</td></tr>
<tr><th>Finished</th><td>{finished}</td></tr>
<tr><th>Message</th><td>{message}</td></tr>
</table>
<h2>Steps</h2>
{steps}
<p><small>Served by the local dbt Cloud emulator.{refresh_note}</small></p>
</body></html>
"""


@router.get("/deploy/{account_id}/projects/{project_id}/runs/{run_id}/", response_class=HTMLResponse)
async def run_page(request: Request, account_id: int, project_id: int, run_id: int) -> HTMLResponse:
    state: EmulatorState = request.app.state.emulator
    run = state.store.get_run(run_id)
    if run is None or run.account_id != account_id or run.project_id != project_id:
        return HTMLResponse(f"<h1>Run {run_id} not found</h1>", status_code=404)
    status = RunStatus(run.status)
    steps = state.store.steps_of([run.id])[run.id]
    step_html = "\n".join(
        f'<details{" open" if step.status in (RunStatus.RUNNING, RunStatus.ERROR) else ""}><summary>'
        f'<span class="badge" style="background:{COLORS[step.status]}">{RunStatus(step.status).humanized}</span> '
        f"{step.index}. {html.escape(step.name)} ({humanized_duration((step.finished_at or run.updated_at) - step.started_at)})"
        f"</summary><pre>{html.escape(state.files.read_log(state.files.log_path(run.id, step.index)))}</pre></details>"
        for step in steps
    ) or "<p>No step has started yet.</p>"
    skipped = run.plan[len(steps):] if status.is_terminal else ()
    step_html += "".join(f"<p>{html.escape(step.name)}: skipped</p>" for step in skipped)
    in_progress = not status.is_terminal
    return HTMLResponse(
        PAGE.format(
            refresh=f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if in_progress else "",
            refresh_note=f" This page refreshes every {REFRESH_SECONDS} s while the run is in progress." if in_progress else "",
            run_id=run.id,
            status=status.humanized,
            color=COLORS[status],
            job_id=run.job_id,
            job_name=html.escape(state.jobs.get(run.job_id).name),
            cause=html.escape(str(run.trigger.get("cause", ""))),
            created=timestamp(run.created_at),
            finished=timestamp(run.finished_at) or "-",
            message=html.escape(run.status_message or "-"),
            steps=step_html,
        )
    )
