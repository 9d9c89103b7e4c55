"""The versioned price table shipped as package data, and the one SQL definition of a turn's cost.

Model names match exactly, else with a trailing `-YYYYMMDD` snapshot date removed
(`claude-sonnet-4-5-20250929` -> `claude-sonnet-4-5`). An unknown model costs 0 and is named, never
silently: `turn_costs.priced` is false and rollups list it in `errors`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import duckdb

PRICE_COLUMNS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


@cache
def price_table() -> dict[str, Any]:
    return json.loads(resources.files("ccp_assets.pricing").joinpath("prices_v1.json").read_text())


def load_prices_into(conn: duckdb.DuckDBPyConnection) -> None:
    """(Re)load the packaged prices when the warehouse holds another version, and (re)create the view."""
    table = price_table()
    have = conn.execute("SELECT any_value(price_version), count(*) FROM prices").fetchone()
    if have != (table["version"], len(table["models"])):
        conn.execute("DELETE FROM prices")
        rows = []
        for m in table["models"]:
            lc = m.get("long_context") or {}
            rows.append([m["model"], m["provider"], *(m[c] for c in PRICE_COLUMNS), lc.get("threshold"),
                         *(lc.get(c) for c in PRICE_COLUMNS), table["version"]])
        conn.executemany(f"INSERT INTO prices VALUES ({', '.join('?' * 14)})", rows)
    conn.execute(TURN_COSTS_VIEW)


TURN_COSTS_VIEW = """
CREATE OR REPLACE VIEW turn_costs AS
WITH t AS (
    SELECT t.*,
           coalesce(t.tokens_in, 0) AS i, coalesce(t.tokens_out, 0) AS o, coalesce(t.cache_read_tokens, 0) AS cr,
           coalesce(t.cache_creation_1h_tokens, 0) AS c1h,
           greatest(coalesce(t.cache_creation_tokens, 0) - coalesce(t.cache_creation_1h_tokens, 0), 0) AS c5m,
           CASE WHEN t.model IN (SELECT model FROM prices) THEN t.model
                ELSE regexp_replace(t.model, '-[0-9]{8}$', '') END AS price_key
    FROM turns t
), p AS (
    SELECT t.*, p.model AS priced_as, p.price_version,
           (p.lc_threshold IS NOT NULL AND t.i + t.cr + t.c5m + t.c1h > p.lc_threshold) AS long_context,
           p.input, p.output, p.cache_write_5m, p.cache_write_1h, p.cache_read,
           p.lc_input, p.lc_output, p.lc_cache_write_5m, p.lc_cache_write_1h, p.lc_cache_read
    FROM t LEFT JOIN prices p ON p.model = t.price_key
)
SELECT * EXCLUDE (input, output, cache_write_5m, cache_write_1h, cache_read,
                  lc_input, lc_output, lc_cache_write_5m, lc_cache_write_1h, lc_cache_read),
       priced_as IS NOT NULL AS priced,
       coalesce(i * CASE WHEN long_context THEN lc_input ELSE input END, 0) / 1e6 AS input_usd,
       coalesce(o * CASE WHEN long_context THEN lc_output ELSE output END, 0) / 1e6 AS output_usd,
       coalesce(c5m * CASE WHEN long_context THEN lc_cache_write_5m ELSE cache_write_5m END
                + c1h * CASE WHEN long_context THEN lc_cache_write_1h ELSE cache_write_1h END, 0) / 1e6
           AS cache_write_usd,
       coalesce(cr * CASE WHEN long_context THEN lc_cache_read ELSE cache_read END, 0) / 1e6 AS cache_read_usd,
       (coalesce(i * CASE WHEN long_context THEN lc_input ELSE input END, 0)
        + coalesce(o * CASE WHEN long_context THEN lc_output ELSE output END, 0)
        + coalesce(c5m * CASE WHEN long_context THEN lc_cache_write_5m ELSE cache_write_5m END, 0)
        + coalesce(c1h * CASE WHEN long_context THEN lc_cache_write_1h ELSE cache_write_1h END, 0)
        + coalesce(cr * CASE WHEN long_context THEN lc_cache_read ELSE cache_read END, 0)) / 1e6 AS estimated_usd
FROM p
"""
