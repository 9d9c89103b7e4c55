"""Where rollups live on disk (INTERFACES.md): read by uploads and reports, written by assets/rollups.

Below the asset layer on purpose, so readers of the files (uploads/) need not import the assets that
write them.
"""

from datetime import date
from pathlib import Path


def daily_summary_path(rollups_dir: Path, day: str) -> Path:
    return rollups_dir / day / "metrics_summary.json"


def weekly_summary_path(rollups_dir: Path, day: str) -> Path:
    y, w, _ = date.fromisoformat(day).isocalendar()
    return rollups_dir / "weekly" / f"{y}-W{w:02d}" / "metrics_summary.json"
