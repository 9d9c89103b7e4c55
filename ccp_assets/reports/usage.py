"""What every ccusage-shaped report shares: the counted turns, one row shape, totals and ordering.

The reports (daily, weekly, monthly, session, blocks) are one DuckDB aggregation each over `Query.base()`
(`turn_costs` of one agent's source, or of every agent source). Rules from ccusage 20.0.24 (tests/sources/ccusage_cases), kept here alone: a
`<synthetic>` or model-less line counts in its period's totals (tokens and cost) without a model row; a
period whose lines carry no token is not shown; a line whose token counts had the wrong type
(`type_drift`) is not counted, as ccusage skips it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from ccp_assets.sources.registry import agents

TOKEN_KEYS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")

# The project is the folder under projects/ (ccusage's "instance"): a transcript's parent folder, or
# three levels up for a subagent file (projects/<project>/<session>/subagents/agent-x.jsonl).
PROJECT_SQL = ("CASE WHEN file LIKE '%/subagents/%' THEN regexp_extract(file, '([^/]+)/[^/]+/subagents/[^/]+$', 1) "
               "ELSE regexp_extract(file, '([^/]+)/[^/]+$', 1) END")


@dataclass(frozen=True)
class Query:
    """What the user asked for: zone for days, inclusive day bounds, one project, one agent's source (or
    several: the plain reports read every agent source of the registry)."""

    timezone: str = "UTC"
    since: date | None = None
    until: date | None = None
    project: str | None = None
    source: str | tuple[str, ...] = "claude_code"

    def base(self) -> str:
        """The counted turns as SQL: local day, project and costs. Literals, not bound parameters: binding a
        Python str makes duckdb import pandas (~0.25 s, more than the whole query takes)."""
        tz = _lit(self.timezone)
        sources = (self.source,) if isinstance(self.source, str) else self.source
        quoted = [f"'{_lit(s)}'" for s in sources]
        where = [f"source = {quoted[0]}" if len(quoted) == 1 else f"source IN ({', '.join(quoted)})"]
        where += [f"day {op} DATE '{d.isoformat()}'" for op, d in ((">=", self.since), ("<=", self.until)) if d]
        if self.project:
            where.append(f"project = '{_lit(self.project)}'")
        return f"""(SELECT * FROM (
            SELECT CAST(timezone('{tz}', ts) AS DATE) AS day, ts,
                   CASE WHEN model <> '<synthetic>' THEN model END AS model, transcript_id, source,
                   {PROJECT_SQL} AS project,
                   coalesce(tokens_in, 0) AS i, coalesce(tokens_out, 0) AS o,
                   coalesce(cache_creation_tokens, 0) AS cw, coalesce(cache_read_tokens, 0) AS cr,
                   CAST(coalesce(estimated_usd, 0) AS DECIMAL(38, 12)) AS usd  -- see grouped()
            FROM turn_costs WHERE type_drift IS NULL) WHERE {' AND '.join(where)})"""


def _lit(value: str) -> str:
    return value.replace("'", "''")


def has_usage_tables(conn: duckdb.DuckDBPyConnection | None) -> bool:
    return conn is not None and bool(conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'turn_costs'").fetchone()[0])


def empty_totals() -> dict[str, Any]:
    return dict.fromkeys(TOKEN_KEYS, 0) | {"totalCost": 0.0, "totalTokens": 0}


def grouped(rows: list[tuple], agent: str, metadata: dict[str, tuple[str, Any]] | None = None,
            extra: dict[str, dict[str, Any]] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows (key, model, i, o, cw, cr, usd) ordered by key then cost -> ccusage rows and totals.

    Within a row, `modelBreakdowns` keep cost-descending order and `modelsUsed` is sorted, as ccusage
    20.0.24 prints them (tests/fixtures/claude-code/ccusage-*-utc.json).
    """
    out: dict[str, dict[str, Any]] = {}
    totals = empty_totals()
    for key, model, i, o, cw, cr, usd in rows:
        # usd was summed as DECIMAL: a DOUBLE sum depends on row order, which differs after a killed run's
        # rolled-back writes (11.042544850000002 vs 11.042544849999999 on the fixture)
        usd = float(usd)
        r = out.get(key)
        if r is None:
            r = out[key] = {"period": key, "agent": agent, "metadata": (metadata or {}).get(key, {}),
                            **dict.fromkeys(TOKEN_KEYS, 0), "totalTokens": 0, "totalCost": 0.0,
                            "modelsUsed": [], "modelBreakdowns": [], **(extra or {}).get(key, {})}
        if model is not None:  # <synthetic> and model-less lines: in the totals, no model row (module docstring)
            r["modelBreakdowns"].append({"modelName": model, "inputTokens": i, "outputTokens": o,
                                         "cacheCreationTokens": cw, "cacheReadTokens": cr, "cost": usd})
        for k, v in zip(TOKEN_KEYS, (i, o, cw, cr), strict=True):
            r[k] += v
            totals[k] += v
        r["totalTokens"] += i + o + cw + cr
        totals["totalTokens"] += i + o + cw + cr
        r["totalCost"] += usd
        totals["totalCost"] += usd
    for r in out.values():
        r["modelsUsed"] = sorted(m["modelName"] for m in r["modelBreakdowns"])
    return list(out.values()), totals


def agent_metadata(sources: list[str]) -> dict[str, Any]:
    named = agents()
    return {"agents": sorted({named.get(s, s) for s in sources})}
