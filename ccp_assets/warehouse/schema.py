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

from ccp_assets.model.v1 import Commit, Cost, Decision, Feature, Measurement, Session, Turn, Value, Window

ENTITY_TABLES: dict[str, type[BaseModel]] = {
    "turns": Turn,
    "sessions": Session,
    "routing_decisions": Decision,
    "windows": Window,
    "features": Feature,
    "measurements": Measurement,
    "reported_costs": Cost,
    "value_records": Value,
    "commits": Commit,
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

# Source ledgers that are not v1 entities (AgentOS side ledgers, proxy summaries) and the unified layer.
# Every one keeps unknown upstream fields in `extras` and its provenance (file, byte_offset, line_no).
SOURCE_DDL = """
CREATE TABLE IF NOT EXISTS glm_counts (
    "window" VARCHAR, provider VARCHAR, day DATE, captured_at TIMESTAMPTZ, prompts_used DOUBLE,
    account VARCHAR, generated_at TIMESTAMPTZ, blocks JSON, parse_errors VARCHAR[], notes VARCHAR,
    origin VARCHAR, superseded BOOLEAN, source VARCHAR, file VARCHAR, byte_offset BIGINT, line_no BIGINT,
    extras JSON);
CREATE TABLE IF NOT EXISTS churn_records (
    "window" VARCHAR, provider VARCHAR, day DATE, captured_at TIMESTAMPTZ, methodology VARCHAR,
    commit_start VARCHAR, commit_end VARCHAR, files_changed BIGINT, insertions BIGINT, deletions BIGINT,
    net BIGINT, features DOUBLE, normalized_churn DOUBLE, notes VARCHAR, superseded BOOLEAN,
    schema_version VARCHAR, tool_version VARCHAR, source VARCHAR, file VARCHAR, byte_offset BIGINT,
    line_no BIGINT, extras JSON);
CREATE TABLE IF NOT EXISTS meter_snapshots (
    ledger VARCHAR, "window" VARCHAR, provider VARCHAR, model VARCHAR, phase VARCHAR, day DATE,
    captured_at TIMESTAMPTZ, fiveh_pct DOUBLE, weekly_pct DOUBLE, session_pct DOUBLE, all_models_pct DOUBLE,
    opus_pct DOUBLE, rolling_pct DOUBLE, token_usage_pct DOUBLE, tokens_used BIGINT, token_limit BIGINT,
    message_count BIGINT, burn_rate_per_min DOUBLE, reqs BIGINT, parsed JSON, parse_errors VARCHAR[],
    notes VARCHAR, origin VARCHAR, raw_text VARCHAR, source VARCHAR, file VARCHAR, byte_offset BIGINT,
    line_no BIGINT, extras JSON);
CREATE TABLE IF NOT EXISTS codex_usage (
    "window" VARCHAR, scope VARCHAR, period VARCHAR, day DATE, captured_at TIMESTAMPTZ,
    last_activity TIMESTAMPTZ, input_tokens BIGINT, cached_input_tokens BIGINT, output_tokens BIGINT,
    reasoning_output_tokens BIGINT, total_tokens BIGINT, cost_usd DOUBLE, percent_used DOUBLE, models JSON,
    parse_errors VARCHAR[], superseded BOOLEAN, origin VARCHAR, source VARCHAR, file VARCHAR,
    byte_offset BIGINT, line_no BIGINT, extras JSON);
CREATE TABLE IF NOT EXISTS proxy_telemetry (
    "window" VARCHAR, provider VARCHAR, day DATE, captured_at TIMESTAMPTZ, total BIGINT,
    routed_to_glm_pct DOUBLE, latency_p50_ms DOUBLE, latency_p95_ms DOUBLE, error_rate_pct DOUBLE,
    sample_lines BIGINT, parse_errors VARCHAR[], notes VARCHAR, source VARCHAR, file VARCHAR,
    byte_offset BIGINT, line_no BIGINT, extras JSON);
CREATE TABLE IF NOT EXISTS proxy_daily_summaries (
    day DATE, schema VARCHAR, generated_at TIMESTAMPTZ, total_requests BIGINT, by_lane JSON, by_model JSON,
    decisions JSON, errors_by_type JSON, backfill BOOLEAN, source VARCHAR, file VARCHAR, sha1 VARCHAR,
    extras JSON);
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
CREATE TABLE IF NOT EXISTS unified_turns (
    turn_id VARCHAR, day DATE, ts TIMESTAMPTZ, sources VARCHAR[], match_rule VARCHAR, match_delta_s DOUBLE,
    session_id VARCHAR, subagent VARCHAR, model VARCHAR, routed_model VARCHAR, provider VARCHAR,
    lane VARCHAR, upstream VARCHAR, rid VARCHAR, request_id VARCHAR, decision VARCHAR,
    decision_reason VARCHAR, tokens_in BIGINT, tokens_out BIGINT, cache_creation_tokens BIGINT,
    cache_creation_5m_tokens BIGINT, cache_creation_1h_tokens BIGINT, cache_read_tokens BIGINT,
    proxy_tokens_in BIGINT, proxy_tokens_out BIGINT, latency_ms DOUBLE, ttft_ms DOUBLE, status BIGINT,
    claude_code_turn_id VARCHAR, proxy_turn_id VARCHAR, extras JSON);
"""

# Measurement tables (METRICS.md), one row per day and scope; every number that could not be computed is
# NULL with its reason in `errors`. Written by the assets of group `measurements` (ccp_assets/measurements).
MEASUREMENT_DDL = """
CREATE TABLE IF NOT EXISTS priced_turns (
    turn_id VARCHAR, day DATE, ts TIMESTAMPTZ, source VARCHAR, session_id VARCHAR, subagent VARCHAR, model VARCHAR,
    transcript_model VARCHAR, provider VARCHAR, lane VARCHAR, basis VARCHAR, input_tokens BIGINT,
    output_tokens BIGINT, cache_creation_5m_tokens BIGINT, cache_creation_1h_tokens BIGINT, cache_read_tokens BIGINT,
    prompts BIGINT, input_usd DOUBLE, output_usd DOUBLE, cache_write_usd DOUBLE, cache_read_usd DOUBLE,
    prompt_usd DOUBLE, estimated_usd DOUBLE, priced BOOLEAN, price_version VARCHAR, plan VARCHAR);
CREATE TABLE IF NOT EXISTS usage_model_daily (
    day DATE, model VARCHAR, provider VARCHAR, basis VARCHAR, turns BIGINT, input_tokens BIGINT,
    output_tokens BIGINT, cache_creation_5m_tokens BIGINT, cache_creation_1h_tokens BIGINT, cache_read_tokens BIGINT,
    prompts BIGINT, input_usd DOUBLE, output_usd DOUBLE, cache_write_usd DOUBLE, cache_read_usd DOUBLE,
    prompt_usd DOUBLE, estimated_usd DOUBLE, priced BOOLEAN, price_version VARCHAR, plan VARCHAR);
CREATE TABLE IF NOT EXISTS features_daily (
    day DATE, basis VARCHAR, features_shipped BIGINT, feature_delta BIGINT, shipped_ids VARCHAR[],
    implemented_ids VARCHAR[], failing_ids VARCHAR[], bdd_features BIGINT, window_features BIGINT,
    session_features BIGINT, errors VARCHAR[]);
CREATE TABLE IF NOT EXISTS efficiency_windows (
    day DATE, "window" VARCHAR, provider VARCHAR, finalized_at TIMESTAMPTZ, features BIGINT, capacity DOUBLE,
    capacity_unit VARCHAR, weekly_fallback BOOLEAN, quality_score DOUBLE, quality_source VARCHAR, errors VARCHAR[]);
CREATE TABLE IF NOT EXISTS efficiency_daily (
    day DATE, provider VARCHAR, capacity_unit VARCHAR, windows BIGINT, features BIGINT, capacity DOUBLE,
    quality_features DOUBLE, e DOUBLE, e_q DOUBLE, weekly_fallback_windows BIGINT, errors VARCHAR[]);
CREATE TABLE IF NOT EXISTS interaction_daily (
    day DATE, session_id VARCHAR, prompts BIGINT, idle_prompts BIGINT, interaction_minutes DOUBLE,
    features_completed BIGINT, impf DOUBLE, errors VARCHAR[]);
CREATE TABLE IF NOT EXISTS churn_daily (
    day DATE, repo_id VARCHAR, commits BIGINT, lines_added BIGINT, churned_7d BIGINT, churned_14d BIGINT,
    churned_28d BIGINT, churn_7d DOUBLE, churn_14d DOUBLE, churn_28d DOUBLE, window_records BIGINT,
    window_insertions BIGINT, window_deletions BIGINT, window_net BIGINT, window_features DOUBLE,
    window_churn DOUBLE, churn_score DOUBLE, churn_source VARCHAR, errors VARCHAR[]);
CREATE TABLE IF NOT EXISTS cls_features (
    day DATE, scope VARCHAR, repo_id VARCHAR, range_start VARCHAR, range_end VARCHAR, files_touched DOUBLE,
    module_spread DOUBLE, dep_depth DOUBLE, delta_cyclomatic DOUBLE, plan_size_kb DOUBLE, interface_delta DOUBLE,
    cross_refs DOUBLE, z_files_touched DOUBLE, z_module_spread DOUBLE, z_dep_depth DOUBLE, z_delta_cyclomatic DOUBLE,
    z_plan_size_kb DOUBLE, z_interface_delta DOUBLE, z_cross_refs DOUBLE, cls DOUBLE, review BOOLEAN,
    input_errors VARCHAR[], errors VARCHAR[]);
CREATE TABLE IF NOT EXISTS routing_daily (
    day DATE, lane VARCHAR, source VARCHAR, requests BIGINT, completions BIGINT, error_count BIGINT, p50_ms DOUBLE,
    p95_ms DOUBLE, reroutes BIGINT, decisions JSON, error_types JSON);
CREATE TABLE IF NOT EXISTS model_mix_daily (
    day DATE, kind VARCHAR, "key" VARCHAR, turns BIGINT, tokens BIGINT, cost_usd DOUBLE, features BIGINT,
    turn_share DOUBLE, token_share DOUBLE, cost_share DOUBLE, feature_share DOUBLE);
CREATE TABLE IF NOT EXISTS policy_findings (
    day DATE, kind VARCHAR, plan VARCHAR, provider VARCHAR, model VARCHAR, calls BIGINT, finding VARCHAR);
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
    conn.execute(SOURCE_DDL)
    conn.execute(MEASUREMENT_DDL)
    for table, model in ENTITY_TABLES.items():
        conn.execute(entity_ddl(table, model))
        have = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
        for name, typ in columns_of(model).items():
            if name not in have:
                conn.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {typ}')
    from ccp_assets.pricing.table import load_prices_into

    load_prices_into(conn)
