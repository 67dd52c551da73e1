"""The shared warehouse folder the dbt project reads landed files from and exports to."""

from __future__ import annotations

import shutil
from pathlib import Path


def prepare_warehouse(warehouse_dir: Path, project_dir: Path) -> None:
    """Create landing/ and exports/; seed each landing/<feed>/ that is empty with the project's
    landing_seed/<feed>/ files (the initial deliveries), leaving feeds that already have files alone."""
    (warehouse_dir / "exports").mkdir(parents=True, exist_ok=True)
    (warehouse_dir / "landing").mkdir(parents=True, exist_ok=True)
    seed_root = project_dir / "landing_seed"
    feeds = sorted(path for path in seed_root.iterdir() if path.is_dir()) if seed_root.is_dir() else []
    for seed in feeds:
        landed = warehouse_dir / "landing" / seed.name
        landed.mkdir(exist_ok=True)
        if not any(landed.iterdir()):
            for csv in sorted(seed.glob("*.csv")):
                shutil.copy2(csv, landed / csv.name)
