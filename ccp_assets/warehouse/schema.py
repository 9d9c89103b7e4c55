"""Warehouse tables: the v1 entity tables are derived from the pydantic models, so they cannot drift.

Operational tables (landing ledger, quarantine, prices) are plain DDL here. Everything is
`CREATE ... IF NOT EXISTS`: opening a connection on any warehouse brings it to the current schema.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Any, Literal, get_args, get_origin

import duckdb
from pydantic import BaseModel

from ccp_assets.model.v1 import Decision, Session, Turn, Window

ENTITY_TABLES: dict[str, type[BaseModel]] = {
    "turns": Turn,
    "sessions": Session,
    "routing_decisions": Decision,
    "windows": Window,
}

OPERATIONAL_DDL = """
CREATE TABLE IF NOT EXISTS landing_files (
    source VARCHAR, path VARCHAR, dev UBIGINT, ino UBIGINT, head_len BIGINT, head_hash VARCHAR,
    byte_offset BIGINT, line_no BIGINT, size BIGINT, mtime DOUBLE, last_ts TIMESTAMPTZ,
    updated_at TIMESTAMPTZ, PRIMARY KEY (source, path));
CREATE TABLE IF NOT EXISTS landing_batches (
    batch_id BIGINT PRIMARY KEY, source VARCHAR, committed_at TIMESTAMPTZ,
    files BIGINT, lines BIGINT, bytes BIGINT, days VARCHAR[]);
CREATE TABLE IF NOT EXISTS quarantine (
    source VARCHAR, stage VARCHAR, kind VARCHAR, file VARCHAR, byte_offset BIGINT, line_no BIGINT,
    day DATE, reason VARCHAR, excerpt VARCHAR, state VARCHAR, recorded_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS prices (
    model VARCHAR PRIMARY KEY, provider VARCHAR, input DOUBLE, output DOUBLE, cache_write_5m DOUBLE,
    cache_write_1h DOUBLE, cache_read DOUBLE, lc_threshold BIGINT, lc_input DOUBLE, lc_output DOUBLE,
    lc_cache_write_5m DOUBLE, lc_cache_write_1h DOUBLE, lc_cache_read DOUBLE, price_version VARCHAR);
CREATE TABLE IF NOT EXISTS check_results (
    check_name VARCHAR, asset VARCHAR, suite VARCHAR, source VARCHAR, day DATE, passed BOOLEAN,
    summary VARCHAR, report JSON, run_id VARCHAR, evaluated_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS column_profiles (
    suite VARCHAR, source VARCHAR, day DATE, "column" VARCHAR, rows BIGINT, nulls BIGINT, passed BOOLEAN,
    PRIMARY KEY (suite, source, day, "column"));
CREATE TABLE IF NOT EXISTS partition_stats (
    source VARCHAR, day DATE, lines BIGINT, quarantined BIGINT, share DOUBLE, PRIMARY KEY (source, day));
CREATE TABLE IF NOT EXISTS cost_daily (
    day DATE, source VARCHAR, provider VARCHAR, model VARCHAR, turns BIGINT, input_tokens BIGINT,
    output_tokens BIGINT, cache_creation_5m_tokens BIGINT, cache_creation_1h_tokens BIGINT,
    cache_read_tokens BIGINT, input_usd DOUBLE, output_usd DOUBLE, cache_write_usd DOUBLE,
    cache_read_usd DOUBLE, estimated_usd DOUBLE, priced BOOLEAN, price_version VARCHAR);
"""


def duckdb_type(annotation: Any) -> str:
    """Map a pydantic field annotation to a DuckDB column type."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return duckdb_type(inner[0]) if len(inner) == 1 else "JSON"
    if origin is Literal:
        return "VARCHAR"
    if origin is list:
        return f"{duckdb_type(get_args(annotation)[0])}[]"
    if origin is dict:
        return "JSON"
    return {str: "VARCHAR", int: "BIGINT", float: "DOUBLE", bool: "BOOLEAN", datetime: "TIMESTAMPTZ",
            date: "DATE"}.get(annotation, "JSON")


def columns_of(model: type[BaseModel]) -> dict[str, str]:
    return {name: duckdb_type(field.annotation) for name, field in model.model_fields.items()}


def entity_ddl(table: str, model: type[BaseModel]) -> str:
    cols = ", ".join(f'"{n}" {t}' for n, t in columns_of(model).items())
    return f"CREATE TABLE IF NOT EXISTS {table} ({cols}, extras JSON)"


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables and add columns that a newer v1 model gained (additive evolution)."""
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(OPERATIONAL_DDL)
    for table, model in ENTITY_TABLES.items():
        conn.execute(entity_ddl(table, model))
        have = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
        for name, typ in columns_of(model).items():
            if name not in have:
                conn.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {typ}')
    from ccp_assets.pricing.table import load_prices_into

    load_prices_into(conn)
