"""The emulator's own controls (/_emulator/faults, /_emulator/stats, synthetic runs' release), for tests that break things on purpose."""

from __future__ import annotations

from typing import Any

import requests

# A fifth of the API requests fail: 429 (Retry-After: 1), 500, 503, a 2 s delay or a dropped connection.
FIFTH_OF_REQUESTS_FAIL = {"rate": 0.2, "kinds": ["429", "500", "503", "delay", "drop"], "delay_seconds": 2,
                          "retry_after_seconds": 1}


class EmulatorControl:
    def __init__(self, emulator) -> None:
        self.base = f"{emulator.url}/_emulator"
        self.verify = str(emulator.trust_bundle)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = requests.request(method, f"{self.base}{path}", verify=self.verify, timeout=30, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return response.json()

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        return self._call("POST", "/faults", json=settings)

    def release_synthetic_runs(self, fail_run_ids=()) -> dict[str, int]:
        """End every waiting synthetic run now (those in fail_run_ids in error): {"released": n, "failing": m}."""
        return self._call("POST", "/synthetic/release", json={"fail_run_ids": list(fail_run_ids)})

    def injected(self) -> dict[str, int]:
        """How many faults of each kind were injected since the emulator started."""
        return self._call("GET", "/faults")["injected"]


def start_spare_emulator(session_emulator, state_dir, token: str | None = None, **settings: str):
    """Another emulator (own state and ports, DBT_CLOUD_EMULATOR_<NAME> settings), trusted like the session's.

    It reuses the session emulator's certificates: the provider's async client read the trust
    bundle once, at import.
    """
    import shutil

    from dbt_cloud_emulator.pytest_plugin import EmulatorServer

    spare = EmulatorServer(state_dir / "state", python=session_emulator.python,
                           **({"token": token} if token else {}), **settings)
    shutil.copytree(session_emulator.state_dir / "tls", spare.state_dir / "tls")
    spare.start()
    return spare
