"""`ccp report session`: ccusage 20.0.24's session report, one DuckDB aggregation over the counted turns.

A session is a transcript (ccusage's session id: the file's name, or its parent session for a subagent
file under `<session>/subagents/`), which is our `transcript_id`. `--since/--until` select sessions by
the local day of their last activity and rows are ordered by cost, descending unless `--order asc`, as
ccusage does.

One deliberate difference: ccusage's session report leaves out subagent usage that is known only from a
parent transcript's embedded `agent_progress` lines, though its daily report counts it. We count it in
every report, so session totals add up to the daily totals (tests/foundation/test_ccusage_parity.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import Any

import duckdb

from ccp_assets.reports.usage import Query, empty_totals, grouped, has_usage_tables
from ccp_assets.sources.registry import agents


def iso_ms(ts: Any) -> str:
    """ccusage's timestamp form: UTC, milliseconds, `Z`."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def session_report(conn: duckdb.DuckDBPyConnection | None, q: Query, order: str = "desc",
                   agent: str = "claude") -> dict[str, Any]:
    """{"session": [rows], "totals": {...}}; `metadata.lastActivity` as ccusage prints it."""
    if not has_usage_tables(conn):
        return {"session": [], "totals": empty_totals()}
    assert conn is not None
    bounds = "".join(f" AND last_day {op} DATE '{d.isoformat()}'"
                     for op, d in ((">=", q.since), ("<=", q.until)) if d)
    direction = "ASC" if order == "asc" else "DESC"
    base = replace(q, since=None, until=None).base()
    rows = conn.execute(f"""
        WITH s AS (SELECT transcript_id, max(ts) AS last_ts, max(day) AS last_day, sum(usd) AS cost,
                          any_value(source) AS src FROM {base} GROUP BY 1),
             keep AS (SELECT * FROM s WHERE true{bounds})
        SELECT b.transcript_id, b.model, sum(b.i), sum(b.o), sum(b.cw), sum(b.cr), sum(b.usd),
               any_value(k.cost) AS session_cost, any_value(k.last_ts) AS last_ts, any_value(k.src) AS src
        FROM {base} b JOIN keep k USING (transcript_id)
        GROUP BY 1, 2 ORDER BY session_cost {direction}, 1, 7 DESC, 2""").fetchall()
    meta = {r[0]: {"lastActivity": iso_ms(r[8])} for r in rows}
    # a session belongs to one agent: each row names its own (ccusage's plain `session` mixes claude and codex
    # rows, each with its agent), whatever `agent` the whole report was asked for
    named = agents()
    own = {r[0]: {"agent": named.get(r[9], agent)} for r in rows}
    out, totals = grouped([r[:7] for r in rows], agent, meta, own)
    return {"session": out, "totals": totals}
