"""Times and durations as dbt Cloud writes them."""

from __future__ import annotations

import datetime
import time


def timestamp(epoch: float | None) -> str | None:
    """'2024-05-01 12:00:00.123456+00:00' (dbt Cloud's format; datetime.fromisoformat reads it)."""
    if epoch is None:
        return None
    return str(datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc))


def duration(seconds: float) -> str:
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def humanized_duration(seconds: float) -> str:
    total = max(0, int(seconds))
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(hours, "hour"), (minutes, "minute"), (secs, "second")]
    words = [f"{value} {unit}{'' if value == 1 else 's'}" for value, unit in parts if value]
    return ", ".join(words) or "0 seconds"


def humanized_ago(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    elapsed = time.time() - epoch
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if elapsed >= size:
            value = int(elapsed // size)
            return f"{value} {unit}{'' if value == 1 else 's'} ago"
    return "just now"
