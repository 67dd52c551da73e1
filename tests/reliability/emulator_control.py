"""For tests that break things on purpose: a fault mix for the emulator's controls (the plugin's `control`), and spare emulators."""

from __future__ import annotations

# A fifth of the API requests fail: 429 (Retry-After: 1), 500, 503, a 2 s delay or a dropped connection.
FIFTH_OF_REQUESTS_FAIL = {"rate": 0.2, "kinds": ["429", "500", "503", "delay", "drop"], "delay_seconds": 2,
                          "retry_after_seconds": 1}


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
