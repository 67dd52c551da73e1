"""The installer's checks that run before anything is installed."""

from __future__ import annotations

import sys

import pytest

from local_runner import install


def test_wrong_python_without_python311_names_the_fix(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 9, 18, "final", 0))
    monkeypatch.setattr(install.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match=r"Python 3\.11 is required.*3\.9\.18.*Install Python 3\.11"):
        install.find_python()


def test_python311_on_path_is_used_when_the_current_one_is_another(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 12, 1, "final", 0))
    monkeypatch.setattr(install.shutil, "which", lambda name: "/opt/py/bin/python3.11" if name == "python3.11" else None)
    assert install.find_python() == "/opt/py/bin/python3.11"
