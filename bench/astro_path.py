"""Astro path: `astro dev start` in Docker from nothing to healthy, cold and warm; image sizes; the
example DAG's task in Docker against local mode.

All in one run, in a private, throwaway Docker engine (bench/private_docker.py), so "cold" means no
image at all and the machine's own engine and images are never touched:
- cold: the base images (pulled where a registry answers, else the stand-ins built offline:
  debootstrap, then docker_stack/standins), the project image (Dockerfile) and the emulator image,
  then `compose up` of the CLI's generated file merged with docker-compose.override.yml, until
  /api/v2/monitor/health answers 200 as the CLI polls it (docker_stack.astro_dev, reused);
- warm: `compose down` (images and volumes kept), then build (all layers cached, as the CLI builds
  on every start) and up again, until healthy;
- the image sizes as `docker image inspect` reports them;
- `dbt_cloud_run_job` triggered RUNS (5) times, one after another, through the REST API on the healthy
  stack; then the same DAG file the same way on a local stack (local_runner, no Docker, free ports).
  Per run: the task's duration (task instance start to end) and the dbt run's own (the emulator's
  started_at to finished_at), so the ratio task / dbt run says what orchestration adds in each mode.
airflow_settings.yaml is applied after each start, as the CLI does, and timed apart.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path

from bench import local_stack, private_docker
from bench.machine import load_average
from docker_stack.airflow_settings import token
from docker_stack.astro_dev import AstroProject
from docker_stack.base_images import BASE_IMAGES, DEBIAN_BASE, PYTHON, RUNTIME, ensure_base_images
from docker_stack.engine import docker
from local_runner.config import PROJECT_ROOT
from local_runner.ports import free_port
from tests.docker.airflow_rest import AirflowRest
from tests.docker.stack import emulator_api
from tests.e2e.dbt_cloud_api import DbtCloudApi

DAG_ID, TASK_ID = "dbt_cloud_run_job", "run_dbt_cloud_job"
RUNS = 5
HEALTHY_TIMEOUT = 600  # a cold first start migrates a new metadata DB on a loaded 2-core machine
RUN_TIMEOUT = 600
EMULATOR_IMAGE = "astro-dbt-cloud-emulator:local"
LOCAL_PARALLELISM = 4  # make start's (LocalConfig's default)
QUICK_REASON = ("left out of --quick: it builds every image from nothing in a private Docker engine (minutes); "
                "`python -m bench --only astro_path` runs it")


def _since(started: float) -> float:
    return round(time.monotonic() - started, 1)


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


def _start(project: AstroProject, build: bool = True) -> dict:
    """Build (the CLI builds on every start), up, wait for health, apply the settings: seconds of each."""
    phases, load = {}, load_average()
    started = time.monotonic()
    if build:
        project.build()
        phases["project_and_emulator_images"] = _since(started)
    up = time.monotonic()
    project.up()
    project.wait_healthy(HEALTHY_TIMEOUT)
    phases["up_to_healthy"] = _since(up)
    phases["to_healthy"] = _since(started)
    applied = time.monotonic()
    settings = project.apply_settings()
    return {**phases, "apply_settings": _since(applied), "settings_applied": len(settings), "load_average_before": load}


def _image_sizes(project: AstroProject) -> list[dict]:
    """Each image's size; the project's and the emulator's also over the base their Dockerfile names."""
    names = [project.image, EMULATOR_IMAGE, *(image.name for image in BASE_IMAGES), DEBIAN_BASE]
    sizes = {}
    for name in names:
        done = docker("image", "inspect", "--format", "{{.Size}}", name, check=False)
        if done.returncode == 0:
            sizes[name] = int(done.stdout.strip())
    rows = []
    for name, size in sizes.items():
        base = {project.image: RUNTIME.name, EMULATOR_IMAGE: PYTHON.name}.get(name)
        rows.append({"image": name, "bytes": size, "mb": round(size / 1e6),  # MB as `docker images` prints them
                     **({"base": base, "mb_over_base": round((size - sizes[base]) / 1e6)} if base in sizes else {})})
    return rows


def _job_runs(airflow: AirflowRest, dbt_cloud: DbtCloudApi) -> list[dict]:
    """RUNS manual runs of the DAG, one after another: each task's and dbt run's seconds."""
    airflow.wait_for_dags({DAG_ID})
    rows = []
    for _ in range(RUNS):
        run_id = airflow.trigger(DAG_ID)
        state = airflow.wait_finished({DAG_ID: run_id}, RUN_TIMEOUT)[DAG_ID]
        [task] = [ti for ti in airflow.task_instances(DAG_ID, run_id) if ti["task_id"] == TASK_ID]
        dbt_run_id = airflow.xcom(DAG_ID, run_id, TASK_ID, "job_run_id")
        if state != "success" or dbt_run_id is None:
            raise RuntimeError(f"{DAG_ID} run {run_id} ended {state} (task {task['state']}, dbt run {dbt_run_id})")
        dbt_run = dbt_cloud.run(int(dbt_run_id))
        task_seconds = _epoch(task["end_date"]) - _epoch(task["start_date"])
        run_seconds = _epoch(dbt_run["finished_at"]) - _epoch(dbt_run["started_at"])
        rows.append({"dag_run_id": run_id, "task_state": task["state"], "dbt_run_id": int(dbt_run_id),
                     "job_id": dbt_run["job_definition_id"], "dbt_run_status": dbt_run["status_humanized"],
                     "task_seconds": round(task_seconds, 2), "dbt_run_seconds": round(run_seconds, 2),
                     "ratio": round(task_seconds / run_seconds, 3)})
    return rows


def _summary(rows: list[dict]) -> dict:
    return {"runs": rows, "task_seconds": round(statistics.mean(r["task_seconds"] for r in rows), 2),
            "dbt_run_seconds": round(statistics.mean(r["dbt_run_seconds"] for r in rows), 2),
            "ratio": round(statistics.mean(r["ratio"] for r in rows), 3),
            "ratio_min": min(r["ratio"] for r in rows), "ratio_max": max(r["ratio"] for r in rows)}


def _docker_path(where: Path, engine: private_docker.PrivateDocker) -> dict:
    images_at_start = docker("images", "-q").stdout.split()
    if images_at_start:
        raise RuntimeError(f"the private engine is not empty ({len(images_at_start)} images): not a cold start")
    project = AstroProject(name=f"astrobench{uuid.uuid4().hex[:8]}", api_server_port=free_port(),
                           postgres_port=free_port(), emulator_port=free_port(), emulator_web_port=free_port())
    try:
        load, started = load_average(), time.monotonic()
        base_images = ensure_base_images()
        base_seconds = _since(started)
        cold = _start(project)
        cold.update(base_images=base_seconds, to_healthy=round(base_seconds + cold["to_healthy"], 1),
                    load_average_before=load)
        sizes = _image_sizes(project)
        project.compose("down")  # `astro dev stop`-like: containers gone, images and volumes kept
        warm = _start(project)
        airflow = AirflowRest(project.url, token(project.url))
        docker_runs = _job_runs(airflow, emulator_api(project, where))
    finally:
        project.kill()
    return {"project": project.name, "base_images_used": base_images, "cold": cold, "warm": warm,
            "image_sizes": sizes, "docker_runs": docker_runs}


def _local_runs(where: Path) -> list[dict]:
    from bench.emulators import BenchEmulator

    with local_stack.running(where, parallelism=LOCAL_PARALLELISM, dags=PROJECT_ROOT / "dags") as cfg:
        emulator = BenchEmulator(cfg)
        api = DbtCloudApi(emulator)
        api.session.trust_env = False
        return _job_runs(AirflowRest(cfg.airflow_url, token(cfg.airflow_url)), api)


def run(where: Path, quick: bool = False) -> dict:
    if quick:
        print(f"==> bench: astro_path {QUICK_REASON}", flush=True)
        return {"not_run": QUICK_REASON}
    where.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        with private_docker.running(where / "engine") as engine:
            engine_start = _since(started)
            measured = _docker_path(where, engine)
    except private_docker.Unavailable as why:
        return {"not_run": f"no private Docker engine: {why}"}
    measured["docker_engine"] = {"start_seconds": engine_start, "dockerd_args": list(engine.engine.daemon_args),
                                 "firewall_rules_added_and_removed": [" ".join((t, c, *r)) for t, c, r in engine.rules],
                                 **engine.cleanup}
    if not engine.cleanup["stopped_cleanly"]:
        raise RuntimeError(f"the private Docker engine did not clean up: {engine.cleanup['problems']}")
    local_load = load_average()
    docker_job, local_job = _summary(measured.pop("docker_runs")), _summary(_local_runs(where / "local"))
    local_job["load_average_before"] = local_load
    return {
        "method": __doc__.split("\n\n", 1)[1].strip(),
        **measured,
        "dbt_cloud_run_job": {
            "docker": docker_job, "local": local_job,
            "docker_over_local": {key: round(docker_job[key] / local_job[key], 3)
                                  for key in ("task_seconds", "dbt_run_seconds", "ratio")},
        },
    }
