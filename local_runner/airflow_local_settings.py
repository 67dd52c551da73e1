"""Airflow's local settings under `astro dev start`: the demo tenant's DBT_CLOUD_* settings for the DAGs.

docker-compose.override.yml mounts this file as /usr/local/airflow/config/airflow_local_settings.py, so
every Airflow process of the stack imports it first. It gives the DAGs what local_runner gives them under
`make start`: the demo tenant's settings that `.env` leaves unset, when airflow_settings.yaml connects
them to the emulator (demo_tenant.dag_settings_for).
Compose's `environment:` cannot do it: it would override `.env` instead of filling its gaps.
"""

import os

from local_runner.demo_tenant import dag_settings_for

os.environ.update(dag_settings_for(os.environ))
