"""ccusage 20.0.24's `codex daily --json` report over the warehouse's Codex turns, priced by `turn_costs`.

One pricing path: a Codex turn's cost is the `turn_costs` view's (pricing/table.py), which prices the turns of
a source with its own rules, loaded from this package's prices.json (measured from ccusage) as rows of
`source_prices` (pricing/source_rules.py): long context for the whole request once its input (cached included)
is above the threshold, the fast tier at the model's fast_multiplier, dated snapshots and the dated
`codex-auto-review` label priced as their model. So `usage_cost`, the rollups' `cost_usd_by_source.codex` and
this report read the same dollars.

The report names models as ccusage does (the view's `report_model`): a fast-tier turn by its model, a turn
without a model as ccusage's `missing_model` (gpt-5) and a server-routed label (`codex-auto-review`) as the
model of its date, both with `isFallback: true`; the turns themselves keep what the rollout said (NULL, the
label).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ccp_assets.sources.codex.adapter import NAME


def priced_turns_sql(where: str = "TRUE") -> str:
    """SELECT over codex `turn_costs` (filtered by `where`) with cw (cache writes) and cost_usd."""
    return f"""SELECT *, c5m + c1h AS cw, estimated_usd AS cost_usd
        FROM turn_costs WHERE source = '{NAME}' AND ({where})"""


_SUMS = """sum(cw)::BIGINT AS cacheCreationTokens, sum(cr)::BIGINT AS cacheReadTokens, sum(i)::BIGINT AS inputTokens,
           sum(o)::BIGINT AS outputTokens,
           sum(CAST(extras->>'$.reasoning_output_tokens' AS BIGINT))::BIGINT AS reasoningOutputTokens,
           sum(CAST(extras->>'$.total_tokens' AS BIGINT))::BIGINT AS totalTokens"""
_KEYS = ("cacheCreationTokens", "cacheReadTokens", "inputTokens", "outputTokens", "reasoningOutputTokens",
         "totalTokens")


def daily_report(conn: duckdb.DuckDBPyConnection, since: date | None = None, until: date | None = None,
                 zone: str | None = None) -> dict[str, Any]:
    """`ccusage codex daily --json`'s document from the codex turns: days in `zone` (ccusage's `-z`), else the
    warehouse's CCP_TIMEZONE days."""
    local = f"CAST(timezone('{zone.replace(chr(39), '')}', ts) AS DATE)" if zone else "day"
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE cx_report AS SELECT * REPLACE ({local} AS day)
        FROM ({priced_turns_sql()}) WHERE {local} BETWEEN coalesce(?, DATE '0001-01-01')
                                               AND coalesce(?, DATE '9999-12-31')""", [since, until])
    per_model = conn.execute(f"""SELECT day, report_model, bool_or(is_fallback), {_SUMS}
        FROM cx_report GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
    per_day = conn.execute(f"SELECT day, sum(cost_usd), {_SUMS} FROM cx_report GROUP BY 1 ORDER BY 1").fetchall()
    models: dict[date, dict[str, Any]] = {}
    for d, model, fallback, *sums in per_model:
        entry = dict(zip(_KEYS, (int(x or 0) for x in sums), strict=True))
        models.setdefault(d, {})[model] = {**entry, "isFallback": bool(fallback)}
    daily = []
    for d, cost, *sums in per_day:
        daily.append({**dict(zip(_KEYS, (int(x or 0) for x in sums), strict=True)), "costUSD": float(cost or 0.0),
                      "date": str(d), "models": models.get(d, {})})
    totals = {k: sum(r[k] for r in daily) for k in _KEYS}
    return {"daily": daily, "totals": {**totals, "costUSD": sum(r["costUSD"] for r in daily)}}


def unpriced_models(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Models of codex turns that have no price (they cost 0 here, as in ccusage, and are named)."""
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT report_model FROM ({priced_turns_sql()}) WHERE NOT priced ORDER BY 1").fetchall()]
