"""Shared fixtures: a throwaway Airflow home, the dbt Cloud emulator started for the session, and its API.

The emulator comes from its own pytest plugin (emulator/src/dbt_cloud_emulator/pytest_plugin.py, the
fixture `dbt_cloud_emulator` any project can use), loaded here by module name from emulator/src
rather than installed: Airflow's .venv stays the Astro image's environment,
without the emulator's package or dbt. The plugin imports the standard library only and runs the
server with emulator/.venv's Python. Inside the Astro image (`astro dev pytest`) the emulator and dbt
are absent by design, so the tests that need it skip there.
The DAGs go through the real provider over HTTPS (the `emulator` fixture points
AIRFLOW_CONN_DBT_CLOUD_DEFAULT and the trust bundle at it); the tests then check the emulator's
API (`dbt_cloud`), as a person would check dbt Cloud.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from local_runner import demo_tenant
from tests.e2e.dbt_cloud_api import DbtCloudApi
from tests.emulator_connection import connection_json
from tests.environment import NO_EMULATOR_HERE, ROOT, emulator_available

if emulator_available():
    sys.path.append(str(ROOT / "emulator" / "src"))  # for the plugin module alone: it imports the standard library
    pytest_plugins = ["dbt_cloud_emulator.pytest_plugin"]
    os.environ.setdefault("DBT_CLOUD_EMULATOR_PYTHON", str(ROOT / "emulator" / ".venv" / "bin" / "python"))

# Airflow reads its home when first imported: give the session its own, so tests never touch the
# metadata DB of `make start`, and never read a developer's .env (the settings module honours this).
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-tests-")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["ASTRO_DOTENV_PATH"] = os.devnull
# The suite runs the DAGs against the emulator's demo tenant, with its ids and names as make start and
# astro dev start give them. Tests of the real-dbt-Cloud path (tests/dags/test_real_dbt_cloud_ids.py) remove them.
for _name, _value in demo_tenant.dag_settings().items():
    os.environ.setdefault(_name, _value)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB in the session's AIRFLOW_HOME, for dag.test() and the like."""
    home = Path(os.environ["AIRFLOW_HOME"])
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
    assert done.returncode == 0, f"airflow db migrate failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return home


def pytest_configure(config) -> None:
    """Give the session's emulator its certificates before any test module is imported.

    aiohttp (the provider's async path, run in-process by dag.test()) reads SSL_CERT_FILE once,
    when it is imported, just as the triggerer does at its start: so the trust bundle must exist,
    and the variables must be set, before collection imports the provider.
    """
    if emulator_available():
        from dbt_cloud_emulator.pytest_plugin import trust_session_emulator

        trust_session_emulator(config)


@pytest.fixture(scope="session")
def emulator(request):
    """The plugin's session emulator (free ports, fresh state); the provider is pointed at it for the session."""
    if not emulator_available():
        pytest.skip(NO_EMULATOR_HERE)
    server = request.getfixturevalue("dbt_cloud_emulator")
    patch = pytest.MonkeyPatch()
    patch.setenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", connection_json(server))
    try:
        yield server
    finally:
        patch.undo()


@pytest.fixture(scope="module")
def local_stack(request, tmp_path_factory):
    """The emulator and Airflow's four processes, as `make start` runs them, in a throwaway state folder.

    A test module's LOCAL_STACK_SETTINGS (e.g. {"parallelism": 8}) override LocalConfig's defaults."""
    if not emulator_available():
        pytest.skip(NO_EMULATOR_HERE)
    from local_runner import stack
    from local_runner.config import LocalConfig

    # The session's `emulator` fixture may point this at another emulator; the stack's Airflow must
    # use its own connection from airflow_settings.yaml, as after a real `make start`.
    patch = pytest.MonkeyPatch()
    patch.delenv("AIRFLOW_CONN_DBT_CLOUD_DEFAULT", raising=False)
    cfg = LocalConfig.isolated(tmp_path_factory.mktemp("stack"), **getattr(request.module, "LOCAL_STACK_SETTINGS", {}))
    try:
        try:
            stack.start(cfg)
        except SystemExit as exc:  # start() reports with SystemExit for the CLI; here it is a failure
            pytest.fail(f"the local stack did not start: {exc}", pytrace=False)
        yield cfg
    finally:
        stack.stop_all(cfg)
        patch.undo()


@pytest.fixture
def dbt_cloud(emulator, airflow_db, monkeypatch) -> DbtCloudApi:
    """The emulator's API; the DAGs' warehouse folder is the emulator's."""
    monkeypatch.setenv("LOCAL_WAREHOUSE_DIR", str(emulator.warehouse_dir))
    return DbtCloudApi(emulator)


@pytest.fixture
def mail_sink(emulator, tmp_path, monkeypatch):
    """The mail sink `make start` runs, on a free port; the DAGs' smtp_default connection and the
    alert Variable point at it through environment variables, as a user's .env would. Yields its
    Maildir (one message per failure mail)."""
    import mailbox

    from local_runner import mail_sink as sink
    from local_runner.config import LocalConfig
    from local_runner.processes import stop

    cfg = LocalConfig.isolated(tmp_path / "mail")
    sink.start(cfg)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "localhost", "port": cfg.smtp_port,
        "extra": {"from_email": "airflow@localhost", "disable_ssl": True, "disable_tls": True}}))
    monkeypatch.setenv("AIRFLOW_VAR_DBT_CLOUD_ALERT_EMAIL", "data-platform@localhost")
    try:
        yield mailbox.Maildir(cfg.maildir, create=False)
    finally:
        stop(cfg, sink.component(cfg))


@pytest.fixture
def callback_log():
    """What the failure callback logged, caught on its own logger: dag.test() sets up Airflow's
    logging when it first runs, which can replace the root handlers that `caplog` relies on."""
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger("include.dbt_cloud.callbacks")
    logger.addHandler(handler)
    try:
        yield lambda: "\n".join(record.getMessage() for record in records)
    finally:
        logger.removeHandler(handler)
