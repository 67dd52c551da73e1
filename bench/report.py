"""The Markdown table the README embeds (bench/results/README-table.md), from the results JSON files."""

from __future__ import annotations

from bench.machine import one_line
from bench.polling import line as polling_line

# The sections of a full run whose machine.json does not list them (runs before the Astro path).
EARLIER_SECTIONS = ("parse_cost", "emulator_throughput", "overhead", "capacity", "start_cost")
# In Docker, each its own stack from images up: `make bench-docker` runs them, not `make bench`.
DOCKER_SECTIONS = ("astro_path", "distributed")
MODE_NAMES = {"provider_defaults": "provider defaults", "template_sync": "template sync",
              "template_deferrable": "template deferrable"}


def _verdict(met: bool | None, missed_by: str = "") -> str:
    if met is None:
        return "not measured"
    return "met" if met else f"**missed** {missed_by}".rstrip()


def goals(results: dict) -> list[tuple[str, str, str]]:
    rows = []
    overhead = results.get("overhead", {})
    long_sync = next((r for r in overhead.get("summary", []) if r["job_id"] == 999 and r["mode"] == "template_sync"), None)
    if long_sync:
        ratio_ok, polls_ok = long_sync["ratio_mean"] <= 1.10, long_sync["status_requests_per_5s_of_run"] <= 1
        rows.append(("Overhead ratio <= 1.10 for a 60 s job (template defaults), <= 1 status request per 5 s",
                     f"ratio {long_sync['ratio_mean']:.3f} (mean of {long_sync['samples']}, max {long_sync['ratio_max']:.3f}); "
                     f"{long_sync['status_requests_per_5s_of_run']:.2f} status requests per 5 s",
                     _verdict(ratio_ok and polls_ok, "" if ratio_ok else f"by {long_sync['ratio_mean'] - 1.10:.3f}")))
    long_deferrable = next((r for r in overhead.get("summary", [])
                            if r["job_id"] == 999 and r["mode"] == "template_deferrable"), None)
    if long_deferrable:  # 14 status requests per run: the deferrable template before the status board (6 s)
        ratio_ok, polls_ok = long_deferrable["ratio_mean"] <= 1.03, long_deferrable["status_requests_per_run"] < 14
        rows.append(("Deferrable template on the ~63 s job: ratio <= 1.03, fewer than 14 status requests per run",
                     f"ratio {long_deferrable['ratio_mean']:.3f} (mean of {long_deferrable['samples']}, max "
                     f"{long_deferrable['ratio_max']:.3f}); {long_deferrable['status_requests_per_run']:.1f} status "
                     f"requests per run", _verdict(ratio_ok and polls_ok, "" if ratio_ok else
                                                   f"by {long_deferrable['ratio_mean'] - 1.03:.3f}")))
    template = next((r for r in results.get("polling", {}).get("rows", []) if r["kind"] == "template" and r["runs"] == 5000), None)
    if template:
        ok = (template["requests_per_min"] <= 1000 and template["answered_429"] == 0 and template["waits_failed"] == 0
              and template["detection_p99_s"] is not None and template["detection_p99_s"] <= 5)
        rows.append(("Template trigger at 5,000 runs in flight: <= 1,000 requests/min, 0 answered 429, 0 waits failed, "
                     "detection p99 <= 5 s", polling_line(template).split(": ", 1)[1], _verdict(ok)))
    deferrable = results.get("capacity", {}).get("deferrable")
    if deferrable and deferrable.get("stages"):
        top = deferrable["stages"][-1]
        rss = top["triggerer_rss_mb"]
        answered_429 = deferrable.get("answered_429")
        ok = (top["reached"] and top["n"] >= 1000 and top["worker_slots_held_while_waiting"] == 0 and answered_429 == 0
              and rss is not None and rss < 1024 and deferrable["all_runs_in_true_state"])
        rows.append(("1,000 runs in flight, 0 worker slots held, 0 answered 429, triggerer < 1 GB RSS, every run in its true state",
                     f"N={top['n']} {'reached' if top['reached'] else 'NOT reached'}; slots held "
                     f"{top['worker_slots_held_while_waiting']}; {answered_429} answered 429; triggerer {rss} MiB; "
                     f"true states: {deferrable['all_runs_in_true_state']}", _verdict(ok)))
    parse = results.get("parse_cost", {})
    if "all_files_warm_seconds" in parse:
        seconds = parse["all_files_warm_seconds"]
        rows.append(("All example DAGs parse in < 1 s (warm)", f"{seconds:.3f} s for {parse['dag_count']} DAGs",
                     _verdict(seconds < 1, f"by {seconds - 1:.3f} s")))
    levels = {level["clients"]: level for level in results.get("emulator_throughput", {}).get("levels", [])}
    if 100 in levels:
        level = levels[100]
        rate_ok, p99_ok = level["requests_per_s"] >= 1000, level["p99_ms"] < 50
        missed = ", ".join(filter(None, ["" if rate_ok else f"rate by {1000 - level['requests_per_s']} req/s",
                                         "" if p99_ok else f"p99 by {level['p99_ms'] - 50:.1f} ms"]))
        rows.append(("Emulator >= 1,000 run-status req/s with p99 < 50 ms at 100 clients",
                     f"{level['requests_per_s']} req/s, p99 {level['p99_ms']} ms", _verdict(rate_ok and p99_ok, missed)))
    if "wall_seconds" in results:
        # Sections the full run did not have, re-measured alone since, add their own time.
        full_run = results.get("sections", EARLIER_SECTIONS)
        added = {name: results[name]["section_seconds"] for name in results.get("rerun_sections", [])
                 if name not in full_run and name not in DOCKER_SECTIONS and "section_seconds" in results.get(name, {})}
        minutes = (results["wall_seconds"] + sum(added.values())) / 60
        parts = "".join(f" + {name} {seconds / 60:.1f} min (measured alone)" for name, seconds in added.items())
        measured = f"{results['wall_seconds'] / 60:.1f} min{parts} = {minutes:.1f} min" if added else f"{minutes:.1f} min"
        rows.append(("`make bench` under 20 minutes", measured, _verdict(minutes < 20, f"by {minutes - 20:.1f} min")))
    return rows


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [f"| {' | '.join(header)} |", f"|{'|'.join('---' for _ in header)}|",
            *(f"| {' | '.join(str(cell) for cell in row)} |" for row in rows)]


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [f"Measured {results.get('finished_at')} on: {one_line(machine)}; load average (1, 5, 15 min) at start "
             f"{machine['load_average_at_start']}, at end {results.get('load_average_at_end')}. "
             f"`make bench` wall time {results.get('wall_seconds', 0) / 60:.1f} min"
             f"{' (quick mode: tiny N, not for reading)' if results.get('quick') else ''}.", ""]
    for name in results.get("rerun_sections", []):
        section = results.get(name, {})
        lines += [f"Re-measured alone afterwards: {name} at {section.get('measured_at')} (load average "
                  f"{section.get('load_average_before')}); its ratios come from that one run.", ""]
    lines += ["**Goals**", "", *_table(["goal", "measured", "verdict"], [list(r) for r in goals(results)]), ""]
    if "summary" in results.get("overhead", {}):
        lines += ["**1. Overhead** (dag.test() of bench DAGs; ratio = Airflow task duration / dbt run started_at->finished_at)", ""]
        lines += _table(["job", "mode", "check_interval", "dbt run s", "task s", "ratio mean (max)", "API requests/run",
                         "status req per 5 s"],
                        [[r["job_id"], MODE_NAMES[r["mode"]] + (" (deferrable)" if r["deferrable"] else ""),
                          r["check_interval"], r["dbt_run_seconds"], r["task_seconds"],
                          f"{r['ratio_mean']:.3f} ({r['ratio_max']:.3f})", r["api_requests_per_run"],
                          r["status_requests_per_5s_of_run"]] for r in results["overhead"]["summary"]])
        lines.append("")
    if results.get("polling", {}).get("rows"):
        lines += ["**Polling** (N waits in one asyncio loop, as a triggerer runs them; the emulator's limit on, "
                  "5,000 requests a minute per account)", ""]
        lines += _table(["trigger", "runs in flight", "runs end after s", "requests/min", "answered 429", "waits failed",
                         "detection p50 s", "detection p99 s", "loop RSS MB"],
                        [[r["kind"], r["runs"], "-".join(f"{s:g}" for s in r.get("runs_end_within_s", [])),
                          r["requests_per_min"], r["answered_429"], r["waits_failed"], r["detection_p50_s"],
                          r["detection_p99_s"], r["loop_rss_mb"]] for r in results["polling"]["rows"]])
        lines.append("")
    capacity = results.get("capacity", {})
    if "deferrable" in capacity:
        lines += [f"**2. Capacity** (local stack, LocalExecutor parallelism {capacity['parallelism']}, one triggerer, "
                  "synthetic job 999; 1 run in 20 ends in error, 1 in 20 is cancelled)", ""]
        rows = []
        for experiment in (capacity["sync"], capacity["deferrable"]):
            for stage in experiment["stages"]:
                rows.append([experiment["label"], stage["n"], "yes" if stage["reached"] else "no",
                             stage["seconds_to_all_waiting"], stage.get("tasks_started_per_s"),
                             stage["worker_slots_held_while_waiting"],
                             stage["triggerer_rss_mb"], stage["emulator_requests_per_s"],
                             experiment["all_runs_in_true_state"]])
        lines += _table(["form", "N in flight", "reached", "s to all waiting", "task starts/s",
                         "worker slots held while waiting",
                         "triggerer RSS MiB", "emulator req/s", "every run in its true state"], rows)
        lines.append("")
        for experiment in (capacity["sync"], capacity["deferrable"]):
            if experiment.get("seconds_from_release_to_all_tasks_done") is not None:
                lines.append(f"- {experiment['label']}: the bench then ended every run (cancel, release in error "
                             f"or success); all {experiment['stages'][-1]['n']} tasks were done "
                             f"{experiment['seconds_from_release_to_all_tasks_done']} s later.")
        lines.append("")
    parse = results.get("parse_cost", {})
    if "files" in parse:
        lines += [f"**3. Parse cost** (DagBag, median of {parse['repeats']}; cold = fresh interpreter running "
                  "tests/dags/parse_guard.py)", ""]
        lines += _table(["file", "warm ms", "cold process s", "network/DB calls at parse"],
                        [[f["file"], round(f["warm_seconds"] * 1000, 1), f["cold_process_seconds"],
                          len(f["network_or_db_calls_at_parse"])] for f in parse["files"]]
                        + [["**all files together**", round(parse["all_files_warm_seconds"] * 1000, 1), "", ""]])
        lines.append("")
    start = results.get("start_cost", {})
    if "timings" in start:
        lines += ["**4. Start cost** (temporary copy of the checkout, free ports)", ""]
        lines += _table(["case", "wall s", "exit"], [[t["case"], t["seconds"], t["exit_code"]] for t in start["timings"]])
        lines.append("")
    throughput = results.get("emulator_throughput", {})
    if "levels" in throughput:
        lines += ["**5. Emulator throughput** (GET runs/{id}/, closed-loop aiohttp clients on the same machine)", ""]
        lines += _table(["clients", "req/s", "p50 ms", "p99 ms", "errors", "server CPU (cores)"],
                        [[level["clients"], level["requests_per_s"], level["p50_ms"], level["p99_ms"], level["errors"],
                          level["server_cpu_share"]] for level in throughput["levels"]])
        lines.append("")
    lines += astro_path(results.get("astro_path", {}))
    lines += distributed(results.get("distributed", {}))
    failed = [name for name, value in results.items() if isinstance(value, dict) and "error" in value and name != "emulator_throughput"]
    if failed:
        lines += [f"Sections that failed: {', '.join(failed)} (see their JSON files)", ""]
    return "\n".join(lines)


def astro_path(astro: dict) -> list[str]:
    """Section 6: cold and warm start in Docker, image sizes, dbt_cloud_run_job in Docker against local mode."""
    if "not_run" in astro:
        return [f"**6. Astro path**: not run: {astro['not_run']}", ""]
    if "cold" not in astro:
        return []
    cold, warm, job = astro["cold"], astro["warm"], astro["dbt_cloud_run_job"]
    lines = [f"**6. Astro path** (`astro dev start` as the CLI composes it, in a private throwaway dockerd; "
             f"measured {astro.get('measured_at')}, load average {astro.get('load_average_before')})", ""]
    lines += _table(["start", "to healthy s", "base images s", "project + emulator images s", "up -> healthy s",
                     "then airflow_settings.yaml s"],
                    [["cold (no image at all)", cold["to_healthy"], cold["base_images"],
                      cold["project_and_emulator_images"], cold["up_to_healthy"], cold["apply_settings"]],
                     ["warm (`compose down`, images kept)", warm["to_healthy"], "",
                      warm["project_and_emulator_images"], warm["up_to_healthy"], warm["apply_settings"]]])
    lines += ["", "Base images: " + "; ".join(f"{name}: {origin}" for name, origin in astro["base_images_used"].items()),
              "", *_table(["image", "size MB (docker image inspect)", "over its base"],
                          [[f"`{s['image']}`", s["mb"], f"+{s['mb_over_base']} MB over `{s['base']}`" if "base" in s else ""]
                           for s in astro["image_sizes"]]), ""]
    rows = [[mode, len(job[mode]["runs"]), job[mode]["task_seconds"], job[mode]["dbt_run_seconds"],
             f"{job[mode]['ratio']} ({job[mode].get('ratio_min')}-{job[mode].get('ratio_max')})"] for mode in ("docker", "local")]
    ratio = job["docker_over_local"]
    rows.append(["**Docker / local**", "", ratio["task_seconds"], ratio["dbt_run_seconds"], ratio["ratio"]])
    lines += ["`dbt_cloud_run_job` triggered through the REST API, runs one after another (means):", "",
              *_table(["mode", "runs", "task s", "dbt run s", "task / dbt run (min-max)"], rows), ""]
    return lines


def distributed(measured: dict) -> list[str]:
    """Section 7: task starts with two Celery workers against one; a killed worker's sync task re-attached."""
    if "not_run" in measured:
        return [f"**7. Distributed**: not run: {measured['not_run']}", ""]
    if "task_starts" not in measured:
        return []
    starts, kill = measured["task_starts"], measured["worker_kill"]
    lines = [f"**7. Distributed** (celery-distributed.compose.yml: CeleryExecutor, workers of concurrency 8, two "
             f"schedulers, two triggerers; measured {measured.get('measured_at')}, load average "
             f"{measured.get('load_average_before')} before, {measured.get('load_average_after')} after)", ""]
    lines += _table(["round", "workers", "tasks started", "s (first queued -> last running)", "tasks started/s",
                     "queued -> running p50 / max s", "tasks per worker", "load average before"],
                    [[label, r["workers"], r["tasks"], r["seconds"], r["tasks_started_per_s"],
                      f"{r['queued_to_running_s']['p50']} / {r['queued_to_running_s']['max']}",
                      ", ".join(f"{w} {n}" for w, n in r["tasks_per_worker"].items()), r["load_average_before"]]
                     for label, r in [("warm-up (not counted)", starts["warm_up"]),
                                      *((i + 1, r) for i, r in enumerate(starts["rounds"]))]])
    means = starts["tasks_started_per_s_mean"]
    lines += ["", f"Tasks started per second, mean of the rounds: {means}; two workers / one: **{starts['two_over_one']}**.", ""]
    lines += [f"`docker kill` of the worker running {kill['samples']} sync tasks ({len(kill['kills'])} kills), seconds "
              "from the kill:", ""]
    lines += _table(["", "p50 s", "max s"],
                    [[label, kill[key]["p50"], kill[key]["max"]] for key, label in (
                        ("try_failed_s", "try failed (heartbeat timeout)"),
                        ("next_try_running_s", "next try running on the other worker"),
                        ("reattached_s", "next try re-attached to the same dbt Cloud run"))])
    return lines + [""]
