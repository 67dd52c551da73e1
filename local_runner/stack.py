"""The local stack as a whole: start, stop, status and logs of the emulator and Airflow."""

from __future__ import annotations

import subprocess

from local_runner import airflow, emulator, mail_sink, ports, settings_file
from local_runner.config import LocalConfig
from local_runner.emulator import StartError
from local_runner.install import say
from local_runner.processes import Component, marked_processes, running_pid, spawn, stop, stop_tree


def all_components(cfg: LocalConfig) -> list[Component]:
    return [emulator.component(cfg), mail_sink.component(cfg), *airflow.components(cfg)]


def _check_port(port: int, what: str, variable: str) -> None:
    if ports.in_use(port):
        raise StartError(f"Port {port} ({what}) is already in use by another program. Stop that program "
                         f"(`lsof -i :{port}` shows it), or use another port: make start {variable}={port + 1}")


def start(cfg: LocalConfig) -> None:
    settings = settings_file.load(cfg.root / "airflow_settings.yaml")
    started: list[Component] = []
    try:
        if running_pid(cfg, emulator.component(cfg)) is None:
            _check_port(cfg.emulator_port, "the dbt Cloud emulator", "DBT_CLOUD_EMULATOR_PORT")
            _check_port(cfg.emulator_web_port, "the dbt Cloud emulator's run pages", "DBT_CLOUD_EMULATOR_WEB_PORT")
            say(f"Starting the dbt Cloud emulator on {cfg.emulator_url}")
            started.append(emulator.component(cfg))
            emulator.start(cfg)
        if running_pid(cfg, mail_sink.component(cfg)) is None:
            _check_port(cfg.smtp_port, "the mail sink", "LOCAL_SMTP_PORT")
            say(f"Starting the mail sink (SMTP) on localhost:{cfg.smtp_port}: failure mail lands in {cfg.maildir}/new/")
            started.append(mail_sink.component(cfg))
            mail_sink.start(cfg)
        env = airflow.environment(cfg)
        missing = [c for c in airflow.components(cfg) if running_pid(cfg, c) is None]
        if missing:
            if any(c.name == "api-server" for c in missing):
                _check_port(cfg.airflow_port, "the Airflow UI and API", "LOCAL_AIRFLOW_PORT")
            say("Preparing Airflow's metadata database")
            airflow.migrate(cfg, env)
            say(f"Starting Airflow: {', '.join(c.name for c in missing)}")
            for comp in missing:
                spawn(cfg, comp, env)
                started.append(comp)
        say(f"Waiting for {cfg.airflow_url}/api/v2/monitor/health to report healthy")
        airflow.wait_healthy(cfg, {c.name: running_pid(cfg, c) or 0 for c in airflow.components(cfg)})
        for line in settings_file.apply(settings, cfg.airflow_url, cfg.service_ports):
            say(f"airflow_settings.yaml: {line}")
    except (StartError, settings_file.SettingsError) as exc:
        for comp in reversed(started):
            stop(cfg, comp)
        raise SystemExit(f"Could not start the local stack: {exc}") from None
    print(f"""
Airflow is running at {cfg.airflow_url}  (log in as admin / admin)
dbt Cloud emulator at {cfg.emulator_url}  (its run pages, opened by Airflow's "Monitor Job Run" link: {cfg.emulator_web_url})
Failure mail (SMTP on localhost:{cfg.smtp_port}): one file per message in {cfg.maildir}/new/
Logs: make logs    Status: make status    Stop: make stop""", flush=True)


def stop_all(cfg: LocalConfig) -> None:
    stopped = [c.name for c in reversed(all_components(cfg)) if stop(cfg, c)]
    strays = marked_processes(cfg)
    for pid, _ in strays:
        stop_tree(pid)
    left = marked_processes(cfg)
    if left:
        listing = "\n".join(f"  {pid} {cmd[:120]}" for pid, cmd in left)
        raise SystemExit(f"These processes are still running after make stop; end them with `kill -9 <pid>`:\n{listing}")
    if not stopped and not strays:
        say("Nothing to stop: the local Airflow and emulator are not running.")
        return
    extra = f" and {len(strays)} leftover process(es)" if strays else ""
    say(f"Stopped {', '.join(stopped) or 'nothing by pid file'}{extra}; no process of this project is left.")


def status(cfg: LocalConfig) -> int:
    any_down = False
    for comp in all_components(cfg):
        pid = running_pid(cfg, comp)
        any_down |= pid is None
        print(f"{comp.name:<14} {'running (pid %d)' % pid if pid else 'stopped'}")
    print(f"{'emulator':<14} {'healthy' if emulator.is_healthy(cfg) else 'not answering'} at {cfg.emulator_url} "
          f"(run pages {cfg.emulator_web_url})")
    report = airflow.health(cfg)
    print(f"{'Airflow API':<14} {'healthy' if airflow.is_healthy(report) else 'not healthy'} at {cfg.airflow_url}")
    return 1 if any_down else 0


def logs(cfg: LocalConfig, name: str | None, follow: bool) -> None:
    chosen = [c for c in all_components(cfg) if name in (None, c.name)]
    if not chosen:
        raise SystemExit(f"No component named {name!r}: choose one of {', '.join(c.name for c in all_components(cfg))}.")
    files = [str(c.log_file(cfg)) for c in chosen if c.log_file(cfg).exists()]
    if not files:
        raise SystemExit("No logs yet: run make start first.")
    subprocess.run(["tail", "-n", "40", *(["-F"] if follow else []), *files])
