"""What the warehouse leaves out on purpose, counted so it can be said instead of silently dropped.

Days before CCP_START_DATE are landed (their bytes are read once) but never materialized: no partition
exists for them. Counting their landed lines is one DuckDB count over those days' Parquet files.
"""

from __future__ import annotations

from datetime import date

import duckdb

from ccp_assets.settings import Settings


def lines_before_start(settings: Settings) -> tuple[int, int]:
    """(days, landed lines) before CCP_START_DATE, over every source's landing folder."""
    files: list[str] = []
    days: set[str] = set()
    if not settings.landing_dir.is_dir():
        return 0, 0
    for folder in settings.landing_dir.glob("*/day=*"):
        day = folder.name[4:]
        try:
            before = date.fromisoformat(day) < settings.start_date
        except ValueError:
            continue
        parts = sorted(str(p) for p in folder.glob("*.parquet"))
        if before and parts:
            days.add(day)
            files += parts
    if not files:
        return 0, 0
    conn = duckdb.connect()
    try:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        return len(days), conn.execute(f"SELECT count(*) FROM read_parquet([{listed}], union_by_name=true)"
                                       ).fetchone()[0]
    finally:
        conn.close()
