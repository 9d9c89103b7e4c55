"""Codex turn costs as ccusage 20.0.24 prices them, and its `codex daily --json` report over the warehouse.

Prices are data (prices.json in this package, measured from ccusage). Codex differs from the Claude price
rules in pricing/table.py in two ways, both measured: a request whose input (cached included) is above the
long-context threshold has *all* its tokens priced at the long-context rates (pricing/table.py prices only
the tokens above it), and the report names a fast-tier turn (`<model>-fast`, at the model's fast_multiplier)
by its model. So the Codex cost is computed here, over `turns` rows of source codex, until the shared
`turn_costs` view takes source-given rules.

The report names models as ccusage does: a turn without a model is ccusage's `missing_model` (gpt-5) and a
server-routed label (`codex-auto-review`) the model of its date, both with `isFallback: true`; the turns
themselves keep what the rollout said (NULL, the label).
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import duckdb

from ccp_assets.sources.codex.adapter import NAME

KINDS = ("input", "output", "cache_write_5m", "cache_read")  # the JSON's rate keys, in cx_prices order


@cache
def price_table() -> dict[str, Any]:
    return json.loads(resources.files("ccp_assets.sources.codex").joinpath("prices.json").read_text())


def load_prices(conn: duckdb.DuckDBPyConnection) -> None:
    """Temp tables cx_prices (one row per model) and cx_aliases (label, from day, model)."""
    table = price_table()
    conn.execute("CREATE OR REPLACE TEMP TABLE cx_prices (model VARCHAR, input DOUBLE, output DOUBLE, "
                 "cache_write DOUBLE, cache_read DOUBLE, lc_threshold BIGINT, lc_input DOUBLE, lc_output DOUBLE, "
                 "lc_cache_write DOUBLE, lc_cache_read DOUBLE, fast DOUBLE)")
    rows = []
    for m in table["models"]:
        lc = m.get("long_context") or {}
        rows.append([m["model"], *(m[k] for k in KINDS), lc.get("threshold"), *(lc.get(k) for k in KINDS),
                     m.get("fast_multiplier")])
    conn.executemany("INSERT INTO cx_prices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("CREATE OR REPLACE TEMP TABLE cx_aliases (alias VARCHAR, from_day DATE, model VARCHAR)")
    conn.executemany("INSERT INTO cx_aliases VALUES (?, ?, ?)",
                     [[a, e["from"], e["model"]] for a, steps in table["model_aliases"].items() for e in steps])


def priced_turns_sql(where: str = "TRUE") -> str:
    """SELECT over codex `turns` (filtered by `where`) adding report_model, is_fallback, priced and cost_usd."""
    missing = price_table()["missing_model"].replace("'", "")
    lc = "p.lc_threshold IS NOT NULL AND t.i + t.cr + t.cw > p.lc_threshold"
    rates = ", ".join(f"CASE WHEN {lc} THEN p.lc_{k} ELSE p.{k} END AS r_{k}"
                      for k in ("input", "output", "cache_write", "cache_read"))
    return f"""
        WITH t AS (
            SELECT *, coalesce(tokens_in, 0) AS i, coalesce(tokens_out, 0) AS o, coalesce(cache_read_tokens, 0) AS cr,
                   coalesce(cache_creation_tokens, 0) AS cw,
                   CASE WHEN base IS NULL THEN '{missing}'
                        ELSE coalesce((SELECT a.model FROM cx_aliases a WHERE a.alias = b.base
                                       AND a.from_day <= CAST(b.ts AS DATE) ORDER BY a.from_day DESC LIMIT 1),
                                      base) END AS report_model,
                   base IS NULL OR base IN (SELECT alias FROM cx_aliases) AS is_fallback
            FROM (SELECT *, CASE WHEN service_tier = 'fast' AND model LIKE '%-fast' THEN left(model, -5)
                                 ELSE model END AS base
                  FROM turns WHERE source = '{NAME}' AND ({where})) b
        ), j AS (
            SELECT t.*, p.model IS NOT NULL AS priced, coalesce({lc}, false) AS long_context, {rates},
                   CASE WHEN t.service_tier = 'fast' THEN coalesce(p.fast, 1.0) ELSE 1.0 END AS speed
            FROM t LEFT JOIN cx_prices p ON p.model = t.report_model
        )
        SELECT * EXCLUDE (r_input, r_output, r_cache_write, r_cache_read),
               coalesce((i * r_input + cr * r_cache_read + cw * r_cache_write + o * r_output) * speed / 1e6, 0)
                   AS cost_usd
        FROM j"""


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
    load_prices(conn)
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
    load_prices(conn)
    return [r[0] for r in conn.execute(
        f"SELECT DISTINCT report_model FROM ({priced_turns_sql()}) WHERE NOT priced ORDER BY 1").fetchall()]
