"""`ccp report daily`'s entry points for callers outside the CLI: day parsing and the daily report
(ccusage's `daily --json` shape, answered from the warehouse; open it with warehouse.readonly.open_read_only)."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ccp_assets.reports.usage import Query


def parse_day(value: str | None) -> date | None:
    """YYYY-MM-DD or ccusage's YYYYMMDD."""
    if not value:
        return None
    v = value.strip()
    return date.fromisoformat(f"{v[:4]}-{v[4:6]}-{v[6:]}" if len(v) == 8 and v.isdigit() else v)


def daily_report(conn: duckdb.DuckDBPyConnection | None, timezone: str, since: date | None = None,
                 until: date | None = None, source: str = "claude_code") -> dict[str, Any]:
    """Per local day and model: tokens of each kind and cost, ccusage-compatible keys and ordering — the
    CLI's daily report itself (reports/periods.py over reports/usage.py, where ccusage's rules live)."""
    from ccp_assets.reports.periods import period_report

    rep = period_report(conn, "daily", Query(timezone, since, until, None, source))
    return {"daily": rep["daily"], "totals": rep["totals"]}
