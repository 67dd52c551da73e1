# The no-Docker path and the test spine. With Docker and the Astro CLI, use `astro dev start` instead.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV_PY := .venv/bin/python
EMULATOR_PY := emulator/.venv/bin/python

.PHONY: help install start stop status logs test test-docker test-distributed soak bench bench-docker demo clean jobs-plan jobs-sync

help:
	@echo "make demo     start everything, run the example DAG dbt_cloud_run_job once and print the dbt Cloud run"
	@echo "make start    install what is missing, start the dbt Cloud emulator and Airflow at http://localhost:8080 (admin / admin)"
	@echo "make stop     stop everything make start started"
	@echo "make status   show what runs"
	@echo "make logs     show the components' logs (SERVICE=scheduler to pick one, FOLLOW=1 to follow)"
	@echo "make test     run the test suite (starts and stops what it needs)"
	@echo "make test-docker  only the Docker test: the project as \`astro dev start\` runs it (installs and starts Docker if needed)"
	@echo "make test-distributed  the distributed stack (CeleryExecutor, two workers, schedulers and triggerers): workers, triggerers and schedulers killed or stopped and tasks stopped mid-run, then every DAG (about 15 min; make test runs the worker kill and every DAG)"
	@echo "make soak     long reliability runs (about 35 min): 30 DAG runs under faults, a running stack killed / marked failed / cleared, a token grep after every DAG, Docker containers killed mid-run"
	@echo "make bench    run the benchmarks without Docker and write bench/results/"
	@echo "make bench-docker  the Docker benchmarks: the Astro path in a private Docker engine, then task starts on one Celery worker against two and a killed worker's tasks re-attached (about 23 min)"
	@echo "make jobs-plan   show what jobs-sync would change: dbt_cloud_jobs.yml against .env's connection (the emulator by default)"
	@echo "make jobs-sync   create/update/delete the jobs of dbt_cloud_jobs.yml in that account (dbt-jobs-as-code)"
	@echo "make clean    stop, then delete local state (.state/: metadata DB, logs, certificates, runs)"

install:
	@$(PYTHON) -m local_runner.install

start: install
	@$(VENV_PY) -m local_runner start

stop:
	@if [ -x $(VENV_PY) ]; then $(VENV_PY) -m local_runner stop; else echo "==> Nothing to stop: nothing was installed yet."; fi

status:
	@$(VENV_PY) -m local_runner status

logs:
	@$(VENV_PY) -m local_runner logs $(SERVICE) $(if $(FOLLOW),--follow)

test: install
	@$(PYTHON) -m local_runner.browser_install
	@$(EMULATOR_PY) -m pytest emulator/tests
	@$(VENV_PY) -m pytest tests

test-docker: install
	@$(VENV_PY) -m pytest tests/docker -v --ignore tests/docker/distributed

test-distributed: install
	@RELIABILITY_SOAK=1 $(VENV_PY) -m pytest tests/docker/distributed -v

soak: install
	@RELIABILITY_SOAK=1 $(VENV_PY) -m pytest tests/reliability/soak tests/docker/soak tests/docker/distributed -v

bench: install
	@$(VENV_PY) -m bench $(BENCH_ARGS)

bench-docker: install
	@$(VENV_PY) -m bench --only astro_path,distributed $(BENCH_ARGS)

clean: stop
	rm -rf .state

jobs-plan: install
	@$(VENV_PY) -m local_runner.jobs_as_code plan

jobs-sync: install
	@$(VENV_PY) -m local_runner.jobs_as_code sync

demo: install
	@$(VENV_PY) -m local_runner demo
