"""The warehouse schema, generated from the contract (model/contract.py): never hand-written DDL here.

Every table is `CREATE ... IF NOT EXISTS` from its model, and a column a newer model gained is added
(additive evolution). That work runs once per version of the schema, not on every connection: the
version is a hash of the DDL, the views and the packaged price table, kept in `warehouse_schema`, and a
connection whose warehouse already has it does one cheap lookup instead of ~40 statements.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

import duckdb

from ccp_assets.model.contract import ENTITY_TABLES, TABLES, column_types, duckdb_type, warehouse_ddl

__all__ = ["ENTITY_TABLES", "VIEWS_DDL", "duckdb_type", "ensure_schema", "schema_version"]

# Views are SQL over the tables, not tables: they stay SQL (the turn_costs view lives with the prices).
VIEWS_DDL = """
CREATE OR REPLACE VIEW proxy_summary_lanes AS
    SELECT s.day, l.lane, TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".count') AS BIGINT) AS completions,
           TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".errors') AS BIGINT) AS errors,
           TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".count') AS BIGINT)
               + coalesce(TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".errors') AS BIGINT), 0) AS requests,
           TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".input_tokens') AS BIGINT) AS input_tokens,
           TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".output_tokens') AS BIGINT) AS output_tokens,
           TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".p50_ms') AS DOUBLE) AS p50_ms,
           TRY_CAST(json_extract(s.by_lane, '$."' || l.lane || '".p95_ms') AS DOUBLE) AS p95_ms,
           s.backfill, s.file
    FROM proxy_daily_summaries s, (SELECT unnest(json_keys(by_lane)) AS lane, day AS d, file AS f
                                    FROM proxy_daily_summaries) l
    WHERE l.d = s.day AND l.f = s.file;
"""


@cache
def schema_version() -> str:
    """Hash of everything `ensure_schema` applies: a change to any of it re-applies the schema once."""
    from ccp_assets.pricing.table import TURN_COSTS_VIEW, price_table, source_price_tables

    prices = json.dumps([price_table(), *source_price_tables()], sort_keys=True)
    text = warehouse_ddl() + VIEWS_DDL + TURN_COSTS_VIEW + prices
    return "ddl-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def applied_version(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The schema version the warehouse was last brought to (None: a new or pre-versioning warehouse)."""
    try:
        row = conn.execute("SELECT max(version) FROM warehouse_schema").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Bring the warehouse to the contract's schema, unless it is there already (one lookup).

    Creates missing tables, adds the columns a newer model gained, (re)creates the views and reloads the
    packaged prices, then records the version. The session time zone is set on every connection.
    """
    conn.execute("SET TimeZone = 'UTC'")
    version = schema_version()
    if applied_version(conn) == version:
        return
    conn.execute(warehouse_ddl())
    for table in TABLES:
        have = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main'",
            [table]).fetchall()}
        for name, typ in column_types(table).items():
            if name not in have:
                conn.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {typ}')
    conn.execute(VIEWS_DDL)
    from ccp_assets.pricing.table import load_prices_into

    load_prices_into(conn)
    conn.execute("DELETE FROM warehouse_schema")
    conn.execute("INSERT INTO warehouse_schema VALUES (?, now())", [version])
