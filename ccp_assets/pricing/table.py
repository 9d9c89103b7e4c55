"""The versioned price table shipped as package data, and the one SQL definition of a turn's cost.

Model names match exactly, else with a trailing `-YYYYMMDD` snapshot date removed
(`claude-sonnet-4-5-20250929` -> `claude-sonnet-4-5`), aliases included (`claude-4-sonnet-20250514`);
`<model>-fast` is the model at its fast-mode multiplier. A Claude Code line's own `costUSD` (kept in
`turns.extras`) is its cost when present, as ccusage's default mode has it; the per-kind `*_usd` columns
stay the token-priced parts. An unknown model costs 0 and is named, never silently: `turn_costs.priced`
is false and rollups list it in `errors`.

A source may ship its own models' prices and rules (Codex's GPT models): `prices.json` in its package
(sources/<package>/prices.json), shaped like prices_v1.json and naming its `source`. They are found here by
that file name, not through the source registry, so the price table (below every layer) imports no source.
That source's turns are priced by its own rows (`source_prices`, pricing/source_rules.py: long context on the
whole request, dated aliases, the model of a turn without one); every other source's turns by `prices`, where
a source's models the shipped table lacks are added too (a model the shipped table prices keeps its price).
So `turn_costs` is the one price of a turn: usage_cost, the rollups and `ccp report codex` read it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

PRICE_COLUMNS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
SOURCE_PRICES = "prices.json"


@cache
def price_table() -> dict[str, Any]:
    return json.loads(resources.files("ccp_assets.pricing").joinpath("prices_v1.json").read_text())


def source_prices(module: str) -> Path | None:
    """The `prices.json` of the source package holding `module` (`ccp_assets.sources.codex.source`), if any."""
    path = resources.files(module.rsplit(".", 1)[0]).joinpath(SOURCE_PRICES)
    return Path(str(path)) if path.is_file() else None


@cache
def source_price_tables() -> tuple[dict[str, Any], ...]:
    """Every source package's own price table, in package-name order."""
    root = resources.files("ccp_assets.sources")
    found = sorted((p for p in root.iterdir() if p.is_dir() and p.joinpath(SOURCE_PRICES).is_file()), key=str)
    return tuple(json.loads(p.joinpath(SOURCE_PRICES).read_text()) for p in found)


def _rows(table: dict[str, Any]) -> list[list[Any]]:
    """One prices row per model and one per alias (a copy of its target's prices under the alias)."""
    rows = []
    by_name = {m["model"]: m for m in table["models"]}
    named = [*table["models"], *({**by_name[target], "model": alias} for alias, target in table.get("aliases", {}).items())]
    for m in named:
        lc = m.get("long_context") or {}
        rows.append([m["model"], m["provider"], *(m[c] for c in PRICE_COLUMNS), lc.get("threshold"),
                     *(lc.get(c) for c in PRICE_COLUMNS), table["version"], m.get("fast_multiplier", 1.0)])
    return rows


def all_rows() -> list[list[Any]]:
    """The shipped table's rows, then each source table's rows for models not priced before it."""
    rows = _rows(price_table())
    for table in source_price_tables():
        have = {r[0] for r in rows}
        rows += [r for r in _rows(table) if r[0] not in have]
    return rows


def load_prices_into(conn: duckdb.DuckDBPyConnection) -> None:
    """(Re)load the packaged prices and the sources' own rules when the warehouse holds other versions, and
    (re)create the view."""
    from ccp_assets.pricing.source_rules import COLUMNS, all_source_rows

    conn.execute("ALTER TABLE prices ADD COLUMN IF NOT EXISTS fast_multiplier DOUBLE")
    rows = all_rows()
    versions = sorted({r[13] for r in rows})
    have = conn.execute("SELECT list(DISTINCT price_version ORDER BY price_version), count(*) FROM prices").fetchone()
    if (list(have[0] or []), have[1]) != (versions, len(rows)):
        conn.execute("DELETE FROM prices")
        cols = ("model, provider, input, output, cache_write_5m, cache_write_1h, cache_read, lc_threshold, lc_input, "
                "lc_output, lc_cache_write_5m, lc_cache_write_1h, lc_cache_read, price_version, fast_multiplier")
        conn.executemany(f"INSERT INTO prices ({cols}) VALUES ({', '.join('?' * 15)})", rows)
    conn.execute("DELETE FROM source_prices")
    if own := all_source_rows():
        conn.executemany(f"INSERT INTO source_prices ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                         own)
    conn.execute(TURN_COSTS_VIEW)


def _tiered(tokens: str, kind: str) -> str:
    """ccusage's tiered price of one token kind of one request: the tokens above the threshold at the
    long-context price, the rest at the base price (measured: 1M Sonnet 4 input tokens cost $5.40)."""
    return (f"CASE WHEN lc_{kind} IS NOT NULL AND {tokens} > lc_threshold "
            f"THEN lc_threshold * {kind} + ({tokens} - lc_threshold) * lc_{kind} ELSE {tokens} * {kind} END")


def _priced(tokens: str, kind: str) -> str:
    """One token kind's price under the row's long-context basis: `request_input` (a source's rule, Codex's):
    every token at the long-context price once the request is long; else per kind (`_tiered`)."""
    return (f"CASE WHEN lc_basis = 'request_input' THEN {tokens} * CASE WHEN long_context "
            f"THEN coalesce(lc_{kind}, {kind}) ELSE {kind} END ELSE {_tiered(tokens, kind)} END")


KINDS = {"input_usd": [("i", "input")], "output_usd": [("o", "output")],
         "cache_write_usd": [("c5m", "cache_write_5m"), ("c1h", "cache_write_1h")],
         "cache_read_usd": [("cr", "cache_read")]}
_PARTS = {col: " + ".join(f"coalesce({_priced(n, k)}, 0)" for n, k in parts) for col, parts in KINDS.items()}
_RATES = (*PRICE_COLUMNS, "lc_threshold", *(f"lc_{c}" for c in PRICE_COLUMNS), "fast_multiplier", "price_version")
# A source's dated snapshot of a model (`gpt-5.4-20260305`, `gpt-5.4-2026-03-05`): priced as the model; only the
# first spelling also takes the model's fast multiplier (source_rules.py: measured).
SNAPSHOT = "-([0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2})$"
SNAPSHOT_NOT_FAST = "-[0-9]{4}-[0-9]{2}-[0-9]{2}$"

TURN_COSTS_VIEW = f"""
CREATE OR REPLACE VIEW turn_costs AS
WITH t AS (
    SELECT t.*,
           coalesce(t.tokens_in, 0) AS i, coalesce(t.tokens_out, 0) AS o, coalesce(t.cache_read_tokens, 0) AS cr,
           coalesce(t.cache_creation_1h_tokens, 0) AS c1h,
           greatest(coalesce(t.cache_creation_tokens, 0) - coalesce(t.cache_creation_1h_tokens, 0), 0) AS c5m,
           coalesce(t.source IN (SELECT source FROM source_prices), false) AS by_source
    FROM turns t
), k AS (
    SELECT *, CASE WHEN fast THEN left(model, -5) ELSE model END AS base_model
    FROM (SELECT t.*, t.model LIKE '%-fast' AND CASE WHEN t.by_source THEN own.model IS NULL
                                                  ELSE t.model NOT IN (SELECT model FROM prices) END AS fast,
                 CASE WHEN t.source = 'claude_code' THEN TRY_CAST(t.extras->>'$.costUSD' AS DOUBLE) END AS reported_usd
          FROM t LEFT JOIN (SELECT DISTINCT source, model FROM source_prices) own
                           ON own.source = t.source AND own.model = t.model)
), q AS (  -- the names rows are looked up by: a source's (the model, its snapshot's model, `<missing>`), else prices'
    SELECT k.*, CASE WHEN k.by_source THEN CAST(timezone('UTC', k.ts) AS DATE) END AS utc_day,
           CASE WHEN NOT k.by_source THEN NULL WHEN k.base_model IS NULL THEN '<missing>'
                WHEN own.model IS NOT NULL THEN k.base_model
                ELSE regexp_replace(k.base_model, '{SNAPSHOT}', '') END AS price_key,
           CASE WHEN k.by_source THEN NULL WHEN k.base_model IN (SELECT model FROM prices) THEN k.base_model
                ELSE regexp_replace(k.base_model, '-[0-9]{{8}}$', '') END AS shared_key
    FROM k LEFT JOIN (SELECT DISTINCT source, model FROM source_prices) own
                     ON own.source = k.source AND own.model = k.base_model
), p AS (
    SELECT q.*, CASE WHEN q.by_source THEN s.priced_as ELSE p.model END AS priced_as,
           {", ".join(f"CASE WHEN q.by_source THEN s.{c} ELSE p.{c} END AS {c}" for c in _RATES)},
           s.lc_basis, coalesce(s.model <> s.priced_as, false) AS is_fallback
    FROM q
    LEFT JOIN prices p ON p.model = q.shared_key
    LEFT JOIN source_prices s ON s.source = q.source AND s.model = q.price_key
        AND q.utc_day >= s.valid_from AND q.utc_day < coalesce(s.valid_to, DATE '9999-12-31')
), c AS (
    SELECT *, {", ".join(f"({sql}) * speed_multiplier / 1e6 AS {col}" for col, sql in _PARTS.items())}
    FROM (SELECT p.* EXCLUDE (fast_multiplier),
                 CASE WHEN lc_basis = 'request_input' THEN lc_threshold IS NOT NULL AND i + cr + c5m + c1h > lc_threshold
                      ELSE lc_threshold IS NOT NULL AND greatest(i, o, cr, c5m, c1h) > lc_threshold END AS long_context,
                 CASE WHEN NOT coalesce(fast, false) THEN 1.0
                      WHEN by_source AND price_key <> base_model AND regexp_matches(base_model, '{SNAPSHOT_NOT_FAST}')
                      THEN 1.0 ELSE coalesce(fast_multiplier, 1.0) END AS speed_multiplier,
                 CASE WHEN is_fallback THEN priced_as ELSE base_model END AS report_model
          FROM p)
)
SELECT * EXCLUDE (input, output, cache_write_5m, cache_write_1h, cache_read, lc_threshold,
                  lc_input, lc_output, lc_cache_write_5m, lc_cache_write_1h, lc_cache_read, base_model,
                  lc_basis, by_source, utc_day, price_key, shared_key, is_fallback, report_model),
       priced_as IS NOT NULL OR reported_usd IS NOT NULL AS priced,
       coalesce(reported_usd, {" + ".join(KINDS)}) AS estimated_usd,
       is_fallback, report_model  -- appended (extend, never break: tests/warehouse/test_contract_ddl.py)
FROM c
"""
