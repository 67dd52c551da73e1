"""What tests rely on without side effects: where the emulator exists (the host, not the Astro image)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NO_EMULATOR_HERE = (
    "the dbt Cloud emulator is not in this environment (inside the Astro image, `astro dev pytest` "
    "has neither the emulator nor dbt, by design): run `make test` on the host to run this test"
)


def emulator_available() -> bool:
    return (ROOT / "emulator" / "pyproject.toml").exists()


@cache
def emulator_tenant_jobs() -> dict[int, dict]:
    """The jobs the emulator's tenant starts with, by id (with environment_id), as its own loader reads
    them in its own environment: emulator/jobs.yaml, and the template's jobs from dbt_cloud_jobs.yml."""
    code = ("import json; from dbt_cloud_emulator.settings import Settings; from dbt_cloud_emulator.tenant import load_tenant; "
            "s = Settings(); t = load_tenant(s.jobs_file, s.jobs_as_code_file); "
            "print(json.dumps([{**j.fields, 'id': j.id, 'environment_id': j.environment_id} for j in t.jobs]))")
    done = subprocess.run([str(ROOT / "emulator" / ".venv" / "bin" / "python"), "-c", code], capture_output=True,
                          text=True, check=True, timeout=60)
    return {job["id"]: job for job in json.loads(done.stdout)}
