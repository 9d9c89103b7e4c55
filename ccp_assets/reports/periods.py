"""`ccp report daily|weekly|monthly`: ccusage 20.0.24's period reports as one DuckDB aggregation each.

A week is the ISO week named by its Monday and a month is `YYYY-MM`, both over days in the report's
zone, exactly as ccusage buckets them (ccusage-weekly-utc.json names 2026-02-09 for 10-12 February).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ccp_assets.reports.usage import Query, agent_metadata, empty_totals, grouped, has_usage_tables

PERIOD_SQL = {
    "daily": "strftime(day, '%Y-%m-%d')",
    "weekly": "strftime(date_trunc('week', day), '%Y-%m-%d')",  # DuckDB weeks start on Monday (ISO)
    "monthly": "strftime(day, '%Y-%m')",
}


def period_report(conn: duckdb.DuckDBPyConnection | None, kind: str, q: Query,
                  agent: str = "all") -> dict[str, Any]:
    """{kind: [rows], "totals": {...}}; each row carries ccusage's `agent` and `metadata.agents`."""
    if not has_usage_tables(conn):
        return {kind: [], "totals": empty_totals()}
    assert conn is not None
    period = PERIOD_SQL[kind]
    rows = conn.execute(f"""
        SELECT {period} AS period, model, sum(i), sum(o), sum(cw), sum(cr), sum(usd)
        FROM {q.base()} GROUP BY ALL ORDER BY 1, 7 DESC, 2""").fetchall()
    sources = conn.execute(f"SELECT {period}, list(DISTINCT source) FROM {q.base()} GROUP BY 1").fetchall()
    meta = {p: agent_metadata(s) for p, s in sources}
    out, totals = grouped(rows, agent, meta)
    if any(r["totalTokens"] == 0 for r in out):  # ccusage shows no period without tokens (usage.py)
        out = [r for r in out if r["totalTokens"]]
        totals = empty_totals()
        for r in out:
            for k in totals:
                totals[k] += r[k]
    return {kind: out, "totals": totals}


def by_project(conn: duckdb.DuckDBPyConnection | None, kind: str, q: Query, agent: str = "all") -> dict[str, Any]:
    """`--instances`: the same report per project (ccusage's `projects` object), with overall totals."""
    if not has_usage_tables(conn):
        return {"projects": {}, "totals": empty_totals()}
    assert conn is not None
    names = [r[0] for r in conn.execute(f"SELECT DISTINCT project FROM {q.base()} ORDER BY 1").fetchall()]
    projects: dict[str, list[dict[str, Any]]] = {}
    totals = empty_totals()
    for name in names:
        one = period_report(conn, kind, Query(q.timezone, q.since, q.until, name, q.source), agent)
        projects[name] = [r | {"project": name} for r in one[kind]]
        for k, v in one["totals"].items():
            totals[k] += v
    return {"projects": projects, "totals": totals}
