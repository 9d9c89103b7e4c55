"""`ccp report daily`'s entry points for callers outside the CLI: day parsing, the read-only warehouse
connection, and the daily report (ccusage's `daily --json` shape, answered from the warehouse)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from ccp_assets.reports.usage import Query


def parse_day(value: str | None) -> date | None:
    """YYYY-MM-DD or ccusage's YYYYMMDD."""
    if not value:
        return None
    v = value.strip()
    return date.fromisoformat(f"{v[:4]}-{v[4:6]}-{v[6:]}" if len(v) == 8 and v.isdigit() else v)


def open_read_only(path: Path, wait_s: float = 20.0) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection, waiting while a run holds the write lock; None when there is no warehouse."""
    if not path.exists():
        return None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=True)
            conn.execute("SET TimeZone = 'UTC'")
            return conn
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def daily_report(conn: duckdb.DuckDBPyConnection | None, timezone: str, since: date | None = None,
                 until: date | None = None, source: str = "claude_code") -> dict[str, Any]:
    """Per local day and model: tokens of each kind and cost, ccusage-compatible keys and ordering — the
    CLI's daily report itself (reports/periods.py over reports/usage.py, where ccusage's rules live)."""
    from ccp_assets.reports.periods import period_report

    rep = period_report(conn, "daily", Query(timezone, since, until, None, source))
    return {"daily": rep["daily"], "totals": rep["totals"]}
