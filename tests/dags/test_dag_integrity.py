"""DAG integrity, in the Astro style: every DAG imports, has tags and retries, and parses offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted(p for p in (ROOT / "dags").glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_dags_folder_has_dags():
    assert DAG_FILES, "dags/ holds the example DAGs"


def test_no_import_errors(dag_bag):
    assert not dag_bag.import_errors, "\n".join(f"{f}: {e}" for f, e in dag_bag.import_errors.items())
    assert dag_bag.dag_ids


def test_every_dag_has_tags_doc_and_retries(dag_bag):
    for dag_id, dag in dag_bag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 80, f"{dag_id} needs a doc_md telling a newcomer what it shows"
        assert dag.default_args.get("owner"), f"{dag_id}: default_args needs an owner"
        assert dag.default_args.get("retries", 0) >= 2, f"{dag_id}: default_args retries must be >= 2"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_makes_no_network_or_database_call(dag_file):
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("parse_guard.py")), str(dag_file)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["dags"], f"{dag_file.name} defines no DAG"
    assert not report["import_errors"], report["import_errors"]
    assert not report["attempts"], f"{dag_file.name} reaches out while parsing: {report['attempts']}"
