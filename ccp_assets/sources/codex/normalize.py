"""Codex landed lines -> v1 `turns` (one row per counted token_count line), `sessions` and capacity rows, in SQL.

Which lines count and with which tokens and model is ccusage 20.0.24's rule (rules.py). A turn's tokens
depend on every earlier line of its file (the previous cumulative total, the model in force, the tier), and a
rollout file runs over several days, so a pass over days lo..hi reads every landed line of the files that
have a line in lo..hi, from the day before the oldest file's start folder (`sessions/YYYY/MM/DD/`) to hi.
A turn copied into another file (same instant, model and counts) counts once across files, as in ccusage.

Token mapping (v1 `turns`): tokens_in = input - cached - cache writes (the uncached input, what `input`
costs), cache_read_tokens = cached input, cache_creation_tokens = cache writes (0 in real rollouts),
tokens_out = output (reasoning included). `extras` keeps reasoning_output_tokens, total_tokens and which
figure the turn came from (`last` = last_token_usage, `delta` = difference of cumulative totals). A turn under
the fast tier is model `<model>-fast` (service_tier 'fast'), as Claude Code's fast responses are named, so the
shared price table applies the model's fast multiplier.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import duckdb

from ccp_assets.partitions import consecutive_chunks
from ccp_assets.settings import Settings
from ccp_assets.sources.codex.adapter import NAME, ccusage_session_sql, config_says_fast, path_day_sql
from ccp_assets.sources.codex.replay import mark_replayed, parent_files, parent_sql
from ccp_assets.sources.codex.rules import (
    KNOWN_LINE_TYPES,
    LINE,
    MODEL_PATHS,
    clamp_sql,
    has_ts_sql,
    kind_sql,
    minus_sql,
    model_sql,
    own_ts_sql,
    tier_sql,
    usage_drift_sql,
    usage_sql,
)
from ccp_assets.sources.codex.tables import write_capacity, write_sessions
from ccp_assets.sources.landing import day_files, landed_days
from ccp_assets.sources.protocol import DayMetadata
from ccp_assets.warehouse.tx import transaction

SOURCE = NAME
CHUNK_DAYS = 7  # days normalized per SQL pass
ORDER = "byte_offset, part"


COUNTS = ("lines", "turns", "sessions", "rate_limit_rows", "rate_limit_only_lines", "repeated_total_lines",
          "copied_turns_dropped", "replayed_turns_dropped", "model_missing_turns", "drifted_turns")
"""A day's figures (its Dagster metadata): rate_limit_only_lines are token_count lines with `info: null`,
repeated_total_lines add 0 tokens (a cumulative total written again), copied_turns_dropped were counted
from another file already, replayed_turns_dropped are a fork's copy of its parent's history (replay.py); skipped_usage_lines and unknown_line_types count by reason and by type."""
Day = dict[str, Any]


def normalize_days(conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
    """Replace the codex `turns`, `sessions`, capacity and quarantine rows of every given day, a run of
    consecutive days per SQL pass; one DayMetadata per day."""
    return [DayMetadata(str(d), m) for chunk in consecutive_chunks(list(days), CHUNK_DAYS)
            for d, m in _normalize_chunk(conn, settings, chunk[0], chunk[-1]).items()]


def _normalize_chunk(conn: duckdb.DuckDBPyConnection, settings: Settings, lo: date, hi: date) -> dict[date, Day]:
    results: dict[date, Day] = {lo + timedelta(days=k): {**dict.fromkeys(COUNTS, 0), "skipped_usage_lines": {},
                                                        "unknown_line_types": {}, "client_versions": []}
                                for k in range((hi - lo).days + 1)}
    files = _history_files(conn, settings, lo, hi)
    tz = settings.timezone.replace("'", "")
    if files:
        _stage(conn, *files)  # temp tables before the transaction (see warehouse/tx.py)
    with transaction(conn):
        for table in ("turns", "sessions", "meter_snapshots"):
            conn.execute(f"DELETE FROM {table} WHERE source = ? AND day BETWEEN ? AND ?", [SOURCE, lo, hi])
        conn.execute("DELETE FROM quarantine WHERE source = ? AND stage = 'normalize' AND day BETWEEN ? AND ?",
                     [SOURCE, lo, hi])
        if files:
            _write_turns(conn, tz, lo, hi, results)
            _quarantine(conn, lo, hi, results)
            for d, n in write_sessions(conn, tz, lo, hi).items():
                results[d]["sessions"] = n
            for d, n in write_capacity(conn, tz, lo, hi).items():
                results[d]["rate_limit_rows"] = n
    return results


def _history_files(conn: duckdb.DuckDBPyConnection, settings: Settings, lo: date, hi: date
                   ) -> tuple[list[str], list[str]] | None:
    """(Parquet files holding the whole history up to hi of every rollout seen in lo..hi, those rollouts)."""
    in_range = day_files(settings, SOURCE, [str(lo + timedelta(days=k)) for k in range((hi - lo).days + 1)])
    if not in_range:
        return None
    rollouts = [r[0] for r in conn.execute("SELECT DISTINCT file FROM read_parquet(?)", [in_range]).fetchall()]
    parquet = _history(conn, settings, rollouts, hi)
    parents = parent_files(conn, parquet, rollouts)  # a fork's parent: its copied history is not counted again
    return (_history(conn, settings, rollouts + parents, hi), rollouts + parents) if parents else (parquet, rollouts)


def _history(conn: duckdb.DuckDBPyConnection, settings: Settings, rollouts: list[str], hi: date) -> list[str]:
    """Landed Parquet files from the day before the oldest rollout's start folder (all days when a rollout has
    none) up to hi."""
    starts = conn.execute(f"SELECT min({path_day_sql('f')}), count(*) FILTER (WHERE {path_day_sql('f')} IS NULL) "
                          "FROM (SELECT unnest(?) AS f)", [rollouts]).fetchone()
    first = None if starts[1] or starts[0] is None else starts[0] - timedelta(days=1)
    days = [d for d in landed_days(settings, SOURCE)
            if (first is None or date.fromisoformat(d) >= first) and date.fromisoformat(d) <= hi]
    return day_files(settings, SOURCE, days)


def _stage(conn: duckdb.DuckDBPyConnection, parquet: list[str], rollouts: list[str]) -> None:
    """cx_lines (one narrow row per line of the rollouts) and cx_turns (counted turns with model and tier)."""
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE cx_lines AS
        WITH x AS (
            SELECT file, byte_offset, line_no, part, day, line, {LINE.select('line')}
            FROM read_parquet(?, hive_partitioning = true) WHERE file IN (SELECT unnest(?))
        )
        SELECT file, byte_offset, line_no, part, day, {kind_sql()} AS kind, {LINE.text('type')} AS type,
               {LINE.text('payload.type')} AS ptype, {has_ts_sql()} AS has_ts, {own_ts_sql()} AS ts,
               CASE WHEN {LINE.text('type')} = 'turn_context' THEN {model_sql(MODEL_PATHS[:3])}
                    ELSE {model_sql(MODEL_PATHS)} END AS model,
               {usage_sql('payload.info.last_token_usage')} AS last_u,
               {usage_sql('payload.info.total_token_usage')} AS total_u,
               {usage_drift_sql()} AS drift, {tier_sql()} AS tier,
               CASE WHEN json_type({LINE.raw('payload.rate_limits')}) = 'OBJECT' THEN {LINE.raw('payload.rate_limits')}
                    END AS rate_limits,
               {LINE.text('payload.id')} AS meta_id, {LINE.text('payload.cwd')} AS cwd,
               {LINE.text('payload.cli_version')} AS version, {LINE.text('payload.git.branch')} AS branch,
               {LINE.text('payload.originator')} AS originator,
               CASE WHEN byte_offset = 0 THEN {parent_sql('line')} END AS fork_parent,
               CASE WHEN {LINE.text('type')} IS NULL OR {LINE.text('type')} NOT IN
                    ({', '.join(f"'{t}'" for t in KNOWN_LINE_TYPES)}) THEN left(line, 160) END AS excerpt
        FROM x""", [parquet, rollouts])
    w = f"PARTITION BY file ORDER BY {ORDER}"
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE cx_usage AS
        WITH u AS (
            SELECT *, last_value(total_u IGNORE NULLS) OVER (
                          {w} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_u
            FROM cx_lines WHERE kind = 'usage' AND has_ts
        ), r AS (
            SELECT *, CASE WHEN last_u IS NOT NULL AND (total_u IS NULL OR prev_u IS NULL
                                                        OR total_u IS DISTINCT FROM prev_u) THEN 'last'
                           WHEN total_u IS NOT NULL THEN 'delta' END AS basis
            FROM u
        ), c AS (
            SELECT *, CASE WHEN basis = 'last' THEN {clamp_sql('last_u')}
                           WHEN basis = 'delta' THEN {clamp_sql(minus_sql('total_u', 'prev_u'))} END AS t
            FROM r
        )
        SELECT *, {clamp_sql('t')} AS tok FROM c""")
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE cx_events AS
        WITH seq AS (
            SELECT file, byte_offset, part, model, NULL AS tier, false AS counted FROM cx_lines WHERE kind = 'ctx'
            UNION ALL
            SELECT file, byte_offset, part, NULL, tier, false FROM cx_lines WHERE kind = 'tier' AND has_ts
            UNION ALL
            SELECT file, byte_offset, part, model, NULL, true FROM cx_usage
            WHERE tok IS NOT NULL AND ts IS NOT NULL AND list_sum(tok[1:5]) > 0
        ), carried AS (
            SELECT file, byte_offset, part, counted,
                   last_value(model IGNORE NULLS) OVER ({w} ROWS UNBOUNDED PRECEDING) AS cur_model,
                   last_value(tier IGNORE NULLS) OVER ({w} ROWS UNBOUNDED PRECEDING) AS cur_tier
            FROM seq
        ), meta AS (
            SELECT file, arg_min(meta_id, byte_offset) AS file_session, arg_min(version, byte_offset) AS file_version
            FROM cx_lines WHERE kind = 'meta' GROUP BY file
        ), t AS (
            SELECT u.*, c.cur_model AS turn_model, nullif(c.cur_tier, 'unclassified') AS turn_tier,
                   m.file_session, m.file_version,
                   [epoch_ms(u.ts), u.tok[1], u.tok[2], u.tok[4], u.tok[5], u.tok[6]] AS key_tokens
            FROM cx_usage u
            JOIN carried c ON c.counted AND c.file = u.file AND c.byte_offset = u.byte_offset AND c.part = u.part
            LEFT JOIN meta m ON m.file = u.file
        )
        SELECT * FROM t""")
    mark_replayed(conn)
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE cx_turns AS
        SELECT *, row_number() OVER k AS copy_no,
               CASE WHEN bool_or(turn_tier = 'standard') OVER k THEN 'standard'
                    WHEN bool_or(turn_tier = 'fast') OVER k THEN 'fast'
                    WHEN {config_says_fast()} THEN 'fast' END AS kept_tier
        FROM cx_events e WHERE NOT EXISTS (SELECT 1 FROM cx_replayed r WHERE r.file = e.file
                                           AND r.byte_offset = e.byte_offset AND r.part = e.part)
        WINDOW k AS (PARTITION BY key_tokens, turn_model ORDER BY file, {ORDER})""")


def _write_turns(conn: duckdb.DuckDBPyConnection, tz: str, lo: date, hi: date,
                 results: dict[date, Day]) -> None:
    local_day = f"CAST(timezone('{tz}', ts) AS DATE)"
    conn.execute(f"""INSERT INTO turns BY NAME
        SELECT file || ':' || byte_offset || CASE WHEN part > 0 THEN ':' || part ELSE '' END AS turn_id,
               '{SOURCE}' AS source, {local_day} AS day, ts,
               coalesce(file_session, {ccusage_session_sql()}) AS session_id, {ccusage_session_sql()} AS transcript_id,
               CASE WHEN kept_tier = 'fast' THEN turn_model || '-fast' ELSE turn_model END AS model,
               'openai' AS provider,
               tok[1] - tok[2] - tok[3] AS tokens_in, tok[4] AS tokens_out, tok[2] AS cache_read_tokens,
               tok[3] AS cache_creation_tokens, tok[3] AS cache_creation_5m_tokens, 0 AS cache_creation_1h_tokens,
               kept_tier AS service_tier, file_version AS version, false AS is_sidechain, false AS embedded,
               false AS is_api_error, 'text' AS input_kind, file, byte_offset, line_no,
               CASE WHEN len(drift) > 0 THEN drift END AS type_drift,
               json_object('reasoning_output_tokens', tok[5], 'total_tokens', tok[6], 'basis', basis) AS extras
        FROM cx_turns WHERE copy_no = 1 AND {local_day} BETWEEN ? AND ?""", [lo, hi])
    for d, turns, drifted, missing in conn.execute(
            "SELECT day, count(*), count(type_drift), count(*) FILTER (WHERE model IS NULL) FROM turns "
            "WHERE source = ? AND day BETWEEN ? AND ? GROUP BY 1", [SOURCE, lo, hi]).fetchall():
        results[d].update(turns=turns, drifted_turns=drifted, model_missing_turns=missing)
    for d, n in conn.execute(f"SELECT {local_day}, count(*) FROM cx_events e JOIN cx_replayed USING (file, "
                             f"byte_offset, part) WHERE {local_day} BETWEEN ? AND ? GROUP BY 1", [lo, hi]).fetchall():
        results[d]["replayed_turns_dropped"] = n
    for d, dups in conn.execute(f"SELECT {local_day}, count(*) FROM cx_turns WHERE copy_no > 1 "
                                f"AND {local_day} BETWEEN ? AND ? GROUP BY 1", [lo, hi]).fetchall():
        results[d]["copied_turns_dropped"] = dups
    for d, info_null, zero in conn.execute(
            f"""SELECT {local_day}, count(*) FILTER (WHERE basis IS NULL),
                       count(*) FILTER (WHERE basis IS NOT NULL AND list_sum(tok[1:5]) = 0)
                FROM cx_usage WHERE ts IS NOT NULL AND {local_day} BETWEEN ? AND ? GROUP BY 1""",
            [lo, hi]).fetchall():
        results[d].update(rate_limit_only_lines=info_null, repeated_total_lines=zero)
    for d, n, versions in conn.execute(
            "SELECT day, count(*), list_sort(list_distinct(list(version))) FROM cx_lines "
            "WHERE day BETWEEN ? AND ? GROUP BY 1", [lo, hi]).fetchall():
        results[d].update(lines=n, client_versions=[v for v in versions if v])


def _quarantine(conn: duckdb.DuckDBPyConnection, lo: date, hi: date, results: dict[date, Day]) -> None:
    """Usage lines ccusage does not read, turns without a model, lines of unknown type: counted, with reasons."""
    rows = conn.execute("""
        SELECT day, 'skipped_usage', file, byte_offset, line_no, 'skipped',
               'token_count line written with spaces: ccusage 20.0.24 reads only compact JSON, not counted', NULL
        FROM cx_lines WHERE kind = 'spaced_usage' AND (last_u IS NOT NULL OR total_u IS NOT NULL)
        UNION ALL
        SELECT day, 'skipped_usage', file, byte_offset, line_no, 'skipped',
               'token_count line without a valid timestamp of its own: not counted (ccusage skips it)', NULL
        FROM cx_lines WHERE kind = 'usage' AND ts IS NULL AND (last_u IS NOT NULL OR total_u IS NOT NULL)
        UNION ALL
        SELECT day, 'model_missing', file, byte_offset, line_no, 'kept',
               'turn with no model in any earlier turn_context of its file: kept with model NULL '
               || '(ccusage 20.0.24 prices it as gpt-5, isFallback)', NULL
        FROM turns WHERE source = 'codex' AND model IS NULL AND day BETWEEN ? AND ?
        UNION ALL
        SELECT day, 'unknown_type', file, byte_offset, line_no, 'skipped',
               'unknown line type ''' || coalesce(type, '(none)') || ''': counted and skipped', excerpt
        FROM cx_lines WHERE excerpt IS NOT NULL""", [lo, hi]).fetchall()
    rows = [r for r in rows if lo <= r[0] <= hi]
    for d, kind, _f, _off, _ln, _state, reason, _excerpt in rows:
        if kind in ("skipped_usage", "unknown_type"):
            name, key = (("skipped_usage_lines", reason.split(":")[0]) if kind == "skipped_usage"
                         else ("unknown_line_types", reason.split("'")[1]))
            results[d][name][key] = results[d][name].get(key, 0) + 1
    if rows:
        conn.executemany("INSERT INTO quarantine VALUES (?, 'normalize', ?, ?, ?, ?, ?, ?, ?, ?, now())",
                         [[SOURCE, kind, f, off, ln, d, reason, excerpt, state]
                          for d, kind, f, off, ln, state, reason, excerpt in rows])
