"""Where a day's counted cost comes from: `cost_usd_by_source` (METRICS.md), summing to `cost_usd_total`.

A call is counted once across sources (measurements/usage.py): a Claude Code turn the proxy answered is
the transcript's (`claude_code`), a proxy completion no transcript matched is `ccp_proxy_only`, then
`agentos_proxy` (the tracker's proxy samples, days without a proxy log) and `ccc` (client sessions without
a transcript). GLM prompts known only from the AgentOS windows' prompt counts (no GLM call in any log) are
`agentos_windows`. Every counted dollar is in exactly one source, so the values add up to the day's
`cost_usd_total` (INTERFACES.md names the keys).
"""

from __future__ import annotations

from datetime import date

import duckdb

# {days}: which days (one `$day`, or the temp table `m_days` of measurements/usage.py `set_days`).
BY_SOURCE_SQL = """
SELECT day, source, sum(usd) FROM (
    SELECT day, CASE source WHEN 'ccp_proxy' THEN 'ccp_proxy_only' ELSE source END AS source, estimated_usd AS usd
    FROM priced_turns WHERE {days}
    UNION ALL
    SELECT day, 'agentos_windows' AS source, estimated_usd AS usd FROM usage_model_daily WHERE {days} AND turns = 0
) GROUP BY day, source ORDER BY day, source
"""


def _by_day(rows: list[tuple]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for d, src, usd in rows:
        out.setdefault(str(d), {})[src] = round(float(usd or 0.0), 6)
    return out


def cost_by_source(conn: duckdb.DuckDBPyConnection, day: str | date) -> dict[str, float]:
    """{source: USD} of the day's counted calls (empty when nothing was counted)."""
    d = day if isinstance(day, date) else date.fromisoformat(day)
    return _by_day(conn.execute(BY_SOURCE_SQL.format(days="day = $day"), {"day": d}).fetchall()).get(str(d), {})


def cost_by_source_days(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, float]]:
    """{day: {source: USD}} for the days in `m_days` that counted anything (`cost_by_source` of each)."""
    return _by_day(conn.execute(BY_SOURCE_SQL.format(days="day IN (SELECT day FROM m_days)")).fetchall())
