"""`ccp report daily`: ccusage's `daily --json` shape, answered from the warehouse (no raw re-read)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

TOKEN_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
NO_ROW_MODEL = "<synthetic>"
"""Rules from ccusage 20.0.24 (tests/sources/ccusage_cases): a `<synthetic>` or model-less line counts in its
day's totals (tokens and cost) without a model row; a day whose lines carry no token is not shown; a line
whose token counts had the wrong type (`type_drift`) is not counted, as ccusage skips it."""


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
    """Per local day and model: tokens of each kind and cost, ccusage-compatible keys and ordering."""
    daily: list[dict[str, Any]] = []
    totals = dict.fromkeys(TOKEN_KEYS, 0) | {"totalCost": 0.0, "totalTokens": 0}
    if conn is None or not conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'turn_costs'").fetchone()[0]:
        return {"daily": daily, "totals": totals}
    # Cost is summed as DECIMAL: a DOUBLE sum depends on row order, which differs after a killed run's
    # rolled-back writes (last-digit drift, 11.042544850000002 vs ...849999999 on the fixture).
    # Literals, not bound parameters: binding a Python str makes duckdb import pandas (~0.25 s), more
    # than the whole query takes. Every literal is a date or a quote-stripped internal name.
    tz, src = timezone.replace("'", ""), source.replace("'", "")
    bounds = "".join(f" AND period {op} DATE '{d.isoformat()}'" for op, d in ((">=", since), ("<=", until)) if d)
    rows = conn.execute(f"""
        WITH t AS (SELECT CAST(timezone('{tz}', ts) AS DATE) AS period, * FROM turn_costs
                   WHERE source = '{src}' AND type_drift IS NULL)
        SELECT CAST(period AS VARCHAR), CASE WHEN model <> '{NO_ROW_MODEL}' THEN model END,
               sum(coalesce(tokens_in, 0)), sum(coalesce(tokens_out, 0)),
               sum(coalesce(cache_creation_tokens, 0)), sum(coalesce(cache_read_tokens, 0)),
               CAST(sum(CAST(estimated_usd AS DECIMAL(38, 12))) AS DOUBLE)  -- exact: order-free
        FROM t WHERE true{bounds}
        GROUP BY ALL ORDER BY 1, 7 DESC, 2""").fetchall()
    by_day: dict[str, dict[str, Any]] = {}
    for period, model, i, o, cw, cr, usd in rows:
        d = by_day.setdefault(period, {"period": period, **dict.fromkeys(TOKEN_KEYS, 0), "totalTokens": 0,
                                       "totalCost": 0.0, "modelsUsed": [], "modelBreakdowns": []})
        if model is not None:
            d["modelBreakdowns"].append({"modelName": model, "inputTokens": i, "outputTokens": o,
                                         "cacheCreationTokens": cw, "cacheReadTokens": cr, "cost": usd})
        for key, val in zip(TOKEN_KEYS, (i, o, cw, cr), strict=True):
            d[key] += val
        d["totalTokens"] += i + o + cw + cr
        d["totalCost"] += usd
    for d in by_day.values():
        if d["totalTokens"] == 0:  # ccusage shows no day whose lines carry no token (a cost alone makes none)
            continue
        d["modelsUsed"] = sorted(m["modelName"] for m in d["modelBreakdowns"])
        daily.append(d)
        for key in (*TOKEN_KEYS, "totalTokens", "totalCost"):
            totals[key] += d[key]
    return {"daily": daily, "totals": totals}
