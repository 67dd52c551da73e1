"""Artifacts are served only from inside a step's artifact folder."""

import pytest

from dbt_cloud_emulator.store import RunFiles
from dbt_cloud_emulator.store.files import UnsafeArtifactPath


@pytest.fixture
def files(tmp_path):
    run_files = RunFiles(tmp_path)
    target = tmp_path / "target"
    (target / "compiled" / "proj").mkdir(parents=True)
    (target / "manifest.json").write_text("{}")
    (target / "run_results.json").write_text("{}")
    (target / "compiled" / "proj" / "model.sql").write_text("select 1")
    (target / "partial_parse.msgpack").write_text("not an artifact")
    assert run_files.save_artifacts(1, 4, target)
    (tmp_path / "secret.txt").write_text("do not serve")
    return run_files


def test_saved_artifacts_are_listed_and_found(files):
    assert files.list_artifacts(1, 4) == ["manifest.json", "run_results.json", "compiled/proj/model.sql"]
    assert files.artifact(1, 4, "compiled/proj/model.sql").read_text() == "select 1"
    assert files.artifact(1, 4, "catalog.json") is None
    assert files.list_artifacts(1, 3) == []


@pytest.mark.parametrize(
    "path", ["../../../secret.txt", "compiled/../../x", "/etc/passwd", "..", "a\\..\\b", "", "x\x00.json"]
)
def test_traversal_and_absolute_paths_are_rejected(files, path):
    with pytest.raises(UnsafeArtifactPath):
        files.artifact(1, 4, path)


def test_symlink_out_of_the_folder_is_rejected(files, tmp_path):
    (files.artifacts_dir(1, 4) / "link.json").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(UnsafeArtifactPath):
        files.artifact(1, 4, "link.json")
