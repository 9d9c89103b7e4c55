"""Codex session-days (`sessions`) and rate-limit bars (`meter_snapshots`) from the staged rollout lines.

The rate-limit bars are Codex capacity straight from the source: every token_count line carries
`payload.rate_limits.{primary,secondary}` with `used_percent` and `window_minutes` (300 is the 5-hour bar,
10080 the weekly one; `resets_in_seconds` or `resets_at` in newer files). They land in `meter_snapshots`
beside the AgentOS meter readings (`fiveh_pct`, `weekly_pct`, provider `codex`) as ledger `codex_rate_limits`,
one row per line, with the whole `rate_limits` object in `parsed`. A bar without `window_minutes` is read by
its position (primary = 5 hours, secondary = weekly), and a used_percent that is not a number is NULL with
the field named in `parse_errors`.
"""

from __future__ import annotations

from datetime import date

import duckdb

from ccp_assets.sources.codex.adapter import NAME, ccusage_session_sql

LEDGER = "codex_rate_limits"
NUM = "('UBIGINT', 'BIGINT', 'DOUBLE')"


def write_sessions(conn: duckdb.DuckDBPyConnection, tz: str, lo: date, hi: date) -> dict[date, int]:
    """One `sessions` row per (session_meta id, day) with lines in lo..hi; returns rows per day.

    `models` is empty, not NULL, when no turn of the day named a model (a model-less session): the list is
    known to be empty, and a NULL would read as drift to the sessions suite's history rule."""
    local_day = f"coalesce(CAST(timezone('{tz}', l.ts) AS DATE), l.day)"
    conn.execute(f"""INSERT INTO sessions BY NAME
        WITH f AS (
            SELECT file, arg_min(meta_id, byte_offset) AS meta_id, arg_min(cwd, byte_offset) AS cwd,
                   arg_min(version, byte_offset) AS version, arg_min(branch, byte_offset) AS branch
            FROM cx_lines WHERE kind = 'meta' GROUP BY file
        ), l AS (
            SELECT l.*, {local_day} AS sday, coalesce(f.meta_id, {ccusage_session_sql('l.file')}) AS session_id,
                   {ccusage_session_sql('l.file')} AS transcript_id, f.cwd AS meta_cwd, f.version AS meta_version,
                   f.branch AS meta_branch
            FROM cx_lines l LEFT JOIN f USING (file)
        ), s AS (
            SELECT session_id, sday AS day, min(ts) AS first_ts, max(ts) AS last_ts, any_value(meta_cwd) AS cwd,
                   max(meta_version) AS version, any_value(meta_branch) AS branch, min(transcript_id) AS transcript_id,
                   min(file) AS file,
                   count(*) FILTER (WHERE type = 'event_msg' AND ptype = 'user_message') AS user_prompts
            FROM l WHERE sday BETWEEN ? AND ? GROUP BY 1, 2
        ), t AS (
            SELECT session_id, day, count(*) AS turns,
                   list_sort(list_distinct(list(model) FILTER (WHERE model IS NOT NULL))) AS models
            FROM turns WHERE source = '{NAME}' AND day BETWEEN ? AND ? GROUP BY 1, 2
        )
        SELECT s.session_id, '{NAME}' AS source, s.day, s.transcript_id, s.cwd, s.version, s.branch,
               regexp_extract(s.cwd, '([^/]+)/?$', 1) AS project,
               strftime(s.first_ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS created_at, s.first_ts, s.last_ts, s.user_prompts,
               coalesce(t.turns, 0) AS turns, 0 AS subagents,
               coalesce(t.models, CAST([] AS VARCHAR[])) AS models, s.file
        FROM s LEFT JOIN t USING (session_id, day)""", [lo, hi, lo, hi])
    return dict(conn.execute("SELECT day, count(*) FROM sessions WHERE source = ? AND day BETWEEN ? AND ? "
                             "GROUP BY 1", [NAME, lo, hi]).fetchall())


def _bar(minutes: int, position: str) -> str:
    """used_percent of the bar whose window_minutes is `minutes` (else the bar at `position`)."""
    def pct(side: str) -> str:
        return (f"CASE WHEN json_type(rate_limits, '$.{side}.used_percent') IN {NUM} "
                f"THEN CAST(rate_limits->>'$.{side}.used_percent' AS DOUBLE) END")

    def mins(side: str) -> str:
        return f"TRY_CAST(rate_limits->>'$.{side}.window_minutes' AS BIGINT)"

    return (f"CASE WHEN {mins('primary')} = {minutes} THEN {pct('primary')} "
            f"WHEN {mins('secondary')} = {minutes} THEN {pct('secondary')} "
            f"WHEN {mins('primary')} IS NULL AND {mins('secondary')} IS NULL THEN {pct(position)} END")


def write_capacity(conn: duckdb.DuckDBPyConnection, tz: str, lo: date, hi: date) -> dict[date, int]:
    """One `meter_snapshots` row per token_count line with rate limits in lo..hi; returns rows per day."""
    errors = [f"CASE WHEN json_type(rate_limits, '$.{s}.used_percent') NOT IN {NUM} "
              f"THEN '{s}.used_percent:' || json_type(rate_limits, '$.{s}.used_percent') END"
              for s in ("primary", "secondary")]
    conn.execute(f"""INSERT INTO meter_snapshots BY NAME
        WITH m AS (
            SELECT *, last_value(CASE WHEN kind = 'ctx' THEN model END IGNORE NULLS) OVER (
                          PARTITION BY file ORDER BY byte_offset, part ROWS UNBOUNDED PRECEDING) AS ctx_model
            FROM cx_lines WHERE kind IN ('ctx', 'usage')
        )
        SELECT '{LEDGER}' AS ledger, 'codex' AS provider, ctx_model AS model,
               CAST(timezone('{tz}', ts) AS DATE) AS day, ts AS captured_at,
               {_bar(300, 'primary')} AS fiveh_pct, {_bar(10080, 'secondary')} AS weekly_pct,
               rate_limits AS parsed, nullif(list_filter([{', '.join(errors)}], x -> x IS NOT NULL), [])
                   AS parse_errors,
               'rate_limits' AS origin, '{NAME}' AS source, file, byte_offset, line_no
        FROM m WHERE kind = 'usage' AND rate_limits IS NOT NULL AND ts IS NOT NULL
          AND CAST(timezone('{tz}', ts) AS DATE) BETWEEN ? AND ?""", [lo, hi])
    return dict(conn.execute("SELECT day, count(*) FROM meter_snapshots WHERE source = ? AND day BETWEEN ? AND ? "
                             "GROUP BY 1", [NAME, lo, hi]).fetchall())
