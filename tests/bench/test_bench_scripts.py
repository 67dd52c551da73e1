"""Keeps the benchmarks working: `python -m bench --quick` runs every section on a tiny N.

No timing is asserted (quick numbers mean nothing); what is asserted is that each section ran
through and saw what it should: the bench runs succeeded in the emulator and in Airflow, the
capacity runs each ended in their true state with no worker slot held by a deferred task, the
parse guard found no network or DB call, and the table and JSON files were written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environment import NO_EMULATOR_HERE, ROOT, emulator_available

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory) -> Path:
    if not emulator_available():
        pytest.skip(NO_EMULATOR_HERE)
    results, work = tmp_path_factory.mktemp("bench-results"), tmp_path_factory.mktemp("bench-work")
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--results-dir", str(results),
                           "--work-dir", str(work)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"python -m bench --quick failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return results


def section(results: Path, name: str) -> dict:
    data = json.loads((results / f"{name}.json").read_text())
    assert "error" not in data, data["error"]
    return data


def test_overhead_runs_every_mode_to_success(quick_results):
    data = section(quick_results, "overhead")
    assert {row["mode"] for row in data["summary"]} == {"provider_defaults", "template_sync", "template_deferrable"}
    for run in data["runs"]:
        assert (run["task_state"], run["dbt_run_status"]) == ("success", "Success"), run
        assert run["status_requests"] >= 1 and run["ratio"] > 0


def test_capacity_runs_end_in_their_true_state(quick_results):
    data = section(quick_results, "capacity")
    for experiment in (data["sync"], data["deferrable"]):
        assert experiment["all_runs_in_true_state"], experiment["mismatches"]
        assert set(experiment["planned"]) == {"success", "error", "cancelled"}
        assert all(stage["reached"] for stage in experiment["stages"]), experiment["stages"]
    assert data["deferrable"]["stages"][-1]["worker_slots_held_while_waiting"] == 0
    assert data["sync"]["stages"][0]["worker_slots_held_while_waiting"] == data["parallelism"]


def test_parse_cost_covers_every_dag_file_offline(quick_results):
    data = section(quick_results, "parse_cost")
    assert {f["file"] for f in data["files"]} == {f"dags/{p.name}" for p in (ROOT / "dags").glob("*.py")}
    assert data["no_import_errors"] and data["no_network_or_db_at_parse"]


def test_emulator_throughput_answers_every_level(quick_results):
    levels = section(quick_results, "emulator_throughput")["levels"]
    assert [level["clients"] for level in levels] == [1, 10, 100]
    assert all(level["requests"] > 0 and level["errors"] == 0 for level in levels)


def test_start_cost_starts_and_stops_a_copy(quick_results):
    data = section(quick_results, "start_cost")
    assert [t["exit_code"] for t in data["timings"]] == [0] * len(data["timings"])
    assert data["stopped_cleanly"]


def test_table_names_the_machine(quick_results):
    table = (quick_results / "README-table.md").read_text()
    cores = json.loads((quick_results / "machine.json").read_text())["machine"]["cores"]
    assert f"{cores} cores" in table and "Python" in table and "**Goals**" in table


@pytest.mark.parametrize("name", ["astro_path", "distributed"])  # bench.report.DOCKER_SECTIONS
def test_docker_sections_are_left_out_of_quick_and_say_why(quick_results, name):
    assert "--quick" in section(quick_results, name)["not_run"]
