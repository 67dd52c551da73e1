"""The landing and export files shared with the emulator's dbt project."""

from __future__ import annotations

import pytest

from include.local_warehouse import (
    ORDER_COLUMNS,
    PROJECT_ROOT,
    max_landed_order_id,
    read_export,
    warehouse_dir,
    write_landing_file,
)


def order(order_id: int) -> dict:
    return {"order_id": order_id, "customer_id": 1, "order_date": "2025-01-02", "amount": "9.50",
            "landed_at": "2025-01-02T06:00:00"}


def test_landing_files_are_complete_csv_and_rewritten_on_retry(tmp_path):
    path = write_landing_file(tmp_path, "orders", "run_1", ORDER_COLUMNS, [order(5), order(6)])
    assert path == tmp_path / "landing" / "orders" / "run_1.csv"
    assert path.read_text().splitlines()[0] == "order_id,customer_id,order_date,amount,landed_at"
    write_landing_file(tmp_path, "orders", "run_1", ORDER_COLUMNS, [order(5)])
    assert len(path.read_text().splitlines()) == 2
    assert [p.name for p in path.parent.iterdir()] == ["run_1.csv"]  # no partial file left behind


def test_the_high_water_mark_spans_all_landed_files(tmp_path):
    assert max_landed_order_id(tmp_path) == 0
    write_landing_file(tmp_path, "orders", "a", ORDER_COLUMNS, [order(1001), order(1009)])
    write_landing_file(tmp_path, "orders", "b", ORDER_COLUMNS, [order(1004)])
    assert max_landed_order_id(tmp_path) == 1009


def test_a_missing_export_says_the_job_has_not_written_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="the dbt job has not exported landed_daily_revenue.csv yet"):
        read_export(tmp_path, "landed_daily_revenue.csv")


def test_landing_files_end_lines_like_the_seed_files(tmp_path):
    # DuckDB silently skips a file with "\r\n" line ends when the first file it reads uses "\n".
    path = write_landing_file(tmp_path, "orders", "run_1", ORDER_COLUMNS, [order(5)])
    assert b"\r" not in path.read_bytes()


def test_warehouse_dir_defaults_to_the_state_folder_relative_to_the_project_or_absolute(tmp_path):
    assert warehouse_dir({}) == PROJECT_ROOT / ".state" / "warehouse"
    assert warehouse_dir({"LOCAL_WAREHOUSE_DIR": "data/wh"}) == PROJECT_ROOT / "data" / "wh"
    assert warehouse_dir({"LOCAL_WAREHOUSE_DIR": str(tmp_path)}) == tmp_path
