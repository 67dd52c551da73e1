"""The local warehouse folder the emulator's dbt project reads and writes.

Airflow lands raw CSV files in `<LOCAL_WAREHOUSE_DIR>/landing/<table>/`, the dbt project reads
them (`stg_landed_orders`), and writes the marts consumers need to `<LOCAL_WAREHOUSE_DIR>/exports/`.
The format is the dbt project's contract: emulator/demo_project/README.md.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ORDER_COLUMNS = ("order_id", "customer_id", "order_date", "amount", "landed_at")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def warehouse_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder shared with the emulator's dbt project (landing/ in, exports/ out).

    A relative LOCAL_WAREHOUSE_DIR is relative to the project root, as in .env.example.
    """
    raw = environ.get("LOCAL_WAREHOUSE_DIR", "").strip() or ".state/warehouse"
    return PROJECT_ROOT / Path(raw).expanduser()  # an absolute path replaces PROJECT_ROOT


def landing_dir(warehouse_dir: Path, table: str) -> Path:
    return warehouse_dir / "landing" / table


def max_landed_order_id(warehouse_dir: Path) -> int:
    """The highest order_id landed so far (0 if none): new orders get ids above it."""
    order_ids = [
        int(row["order_id"])
        for path in landing_dir(warehouse_dir, "orders").glob("*.csv")
        for row in read_csv(path)
    ]
    return max(order_ids, default=0)


def write_landing_file(
    warehouse_dir: Path, table: str, name: str, columns: Iterable[str], rows: Iterable[Mapping[str, Any]]
) -> Path:
    """Write rows as `<name>.csv` under landing/<table>/, atomically.

    dbt reads every `*.csv` in the folder, so the file gets its final name only once complete
    (the partial name does not end in .csv); writing it again (an Airflow retry) replaces it.
    """
    folder = landing_dir(warehouse_dir, table)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{name}.csv"
    partial = folder / f".{name}.csv.partial"
    with partial.open("w", newline="") as file:
        # "\n" like the project's seed files: DuckDB, given the first file's dialect, silently
        # skips the rows of a file that ends its lines with csv's default "\r\n".
        writer = csv.DictWriter(file, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, final)
    return final


def read_export(warehouse_dir: Path, name: str) -> list[dict[str, str]]:
    """The rows of `exports/<name>`, written by the dbt project."""
    path = warehouse_dir / "exports" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: the dbt job has not exported {name} yet.")
    return read_csv(path)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))
