"""CCP proxy landed lines -> v1 `turns`, `routing_decisions` and `proxy_daily_summaries` for one day.

- A completion (no `event`, or `event: completion`) and an error (`event: error`) are one `turns` row
  each (source = ccp_proxy): lane, upstream, model, provider, tokens, latency, ttft, op, status.
  Decisions (`event: decision`) are `routing_decisions` rows. Both carry `rid`; each turn gets the
  latest decision of its rid at or before it (`decision`, `decision_reason`), each decision the first
  completion of its rid at or after it (`outcome_turn_id`). Neighbouring days are read so flows that
  straddle midnight still correlate.
- provider: the `upstream` actually dialled (anth -> anthropic, zai -> zai), else the lane
  (zai/glm -> zai, anthropic -> anthropic), else the model name, else 'unknown' (sources/proxy_wire.py).
- status: a number is kept; the legacy strings "ok"/"success" mean 200, "error"/"fail" mean a failed
  call (is_api_error) with no status; the text is always kept in `status_text`. Any other string, or a
  number written as a string anywhere a number is expected, is NULL and named in `type_drift`.
- A stray `{}` and lines with an unknown `event` are counted and quarantined as skipped.
- METRICS summaries (exported documents) become one `proxy_daily_summaries` row per day, the latest
  version winning; `backfill` is true when that day has no raw usage line, i.e. when the summary is
  the only evidence of the day's traffic (per-lane numbers: view `proxy_summary_lanes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from ccp_assets.partitions import consecutive_chunks
from ccp_assets.settings import Settings
from ccp_assets.sources.jsonsql import Field, Parsed, columns, drift, extras, top_keys, typed
from ccp_assets.sources.landing import day_files
from ccp_assets.sources.proxy_wire import DECISION_FIELDS, FAIL_WORDS, OK_WORDS, provider_sql
from ccp_assets.warehouse.tx import transaction

SOURCE = "ccp_proxy"


def _sql_set(words: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{w}'" for w in words) + ")"


SQL_OK, SQL_FAIL, SQL_STATUS_WORDS = _sql_set(OK_WORDS), _sql_set(FAIL_WORDS), _sql_set(OK_WORDS + FAIL_WORDS)

TURN_FIELDS = [
    Field("rid", "rid", "text"), Field("lane", "lane", "str"), Field("model", "model", "str"),
    Field("upstream", "upstream", "str"), Field("tokens_in", "input_tokens", "int"),
    Field("tokens_out", "output_tokens", "int"), Field("latency_ms", "latency_ms", "num"),
    Field("ttft_ms", "ttft_ms", "num"), Field("stream_ms", "stream_ms", "num"), Field("op", "op", "str"),
    Field("reason", "reason", "str"), Field("err_type", "err_type", "text"), Field("retry", "retry", "bool"),
    Field("wasted_retry_ms", "wasted_retry_ms", "num"), Field("request_id", "request_id", "text"),
    Field("session_id", "session_id", "text"),
]
SUMMARY_FIELDS = [
    Field("date", "date", "str"), Field("schema", "schema", "str"), Field("generated_at", "generated_at", "ts"),
    Field("total_requests", "total_requests", "int"), Field("by_lane", "byLane", "obj"),
    Field("by_model", "byModel", "obj"), Field("decisions", "decisions", "obj"),
    Field("errors_by_type", "errors_by_type", "obj"),
]
ENVELOPE = ["ts", "event", "status"]


@dataclass
class ProxyResult:
    day: str
    lines: int = 0
    turns: int = 0
    completions: int = 0
    errors: int = 0
    decisions: int = 0
    drifted: int = 0
    summaries: int = 0
    backfill_days: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0


CHUNK_DAYS = 7  # days staged per SQL pass (each pass reads its days and their two neighbours)


def normalize_day(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str) -> ProxyResult:
    """Replace this day's proxy rows in turns, routing_decisions and proxy_daily_summaries (idempotent)."""
    return normalize_days(conn, settings, [day])[0]


def normalize_days(conn: duckdb.DuckDBPyConnection, settings: Settings, days: list[str]) -> list[ProxyResult]:
    """Replace the proxy rows of every given day; a chunk of consecutive days is staged in one pass,
    with a day either side so decisions and completions straddling midnight still pair up."""
    tz = settings.timezone.replace("'", "")
    out: list[ProxyResult] = []
    for chunk in consecutive_chunks(days, CHUNK_DAYS):
        window = [str(chunk[0] + timedelta(days=k)) for k in range(-1, (chunk[-1] - chunk[0]).days + 2)]
        files = day_files(settings, SOURCE, window)
        if files:
            _stage(conn, files, tz)  # temp tables before the transaction (see warehouse/tx.py)
        with transaction(conn):
            for d in chunk:
                res = ProxyResult(str(d))
                conn.execute("DELETE FROM turns WHERE source = ? AND day = ?", [SOURCE, d])
                conn.execute("DELETE FROM routing_decisions WHERE source = ? AND day = ?", [SOURCE, d])
                conn.execute("DELETE FROM proxy_daily_summaries WHERE day = ?", [d])
                conn.execute("DELETE FROM quarantine WHERE source = ? AND stage = 'normalize' AND day = ?",
                             [SOURCE, d])
                if files:
                    _write(conn, d, res)
                out.append(res)
    return out


# What the staging reads of each line, extracted in one parse (see jsonsql.Parsed).
LINE = Parsed.of("v", TURN_FIELDS, DECISION_FIELDS, ["ts", "event", "status", "ccp_export"])
TURN_KNOWN = top_keys(TURN_FIELDS) + ENVELOPE
DECISION_KNOWN = top_keys(DECISION_FIELDS) + ENVELOPE


def _stage(conn: duckdb.DuckDBPyConnection, files: list[str], tz: str) -> None:
    """Temp tables px_lines, px_turns, px_decisions and px_docs from the landed lines of the window.

    px_lines keeps each line's parsed fields and unmapped members (`extras`), and its text only for
    documents and skipped lines: the window's text is not held in memory, which bounds it at scale.
    """
    event = typed(LINE, Field("event", "event", "text"))
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE px_lines AS
        WITH r AS (
            SELECT file, byte_offset, line_no, part, ts, line, {LINE.select('line')}
            FROM read_parquet(?, hive_partitioning = false)
        ), k AS (
            SELECT *, CASE WHEN {LINE.text('ccp_export')} IS NOT NULL THEN 'document'
                           WHEN length(line) < 32 AND len(json_keys(line)) = 0 THEN 'empty'
                           WHEN {LINE.type('event')} IS NULL OR {LINE.type('event')} = 'NULL'
                                OR {event} = 'completion' THEN 'completion'
                           WHEN {event} IN ('error', 'decision') THEN {event}
                           ELSE 'unknown' END AS kind
            FROM r
        )
        SELECT file, byte_offset, line_no, part, ts, CAST(timezone('{tz}', ts) AS DATE) AS day, kind, v,
               CASE WHEN kind IN ('completion', 'error') THEN {extras('line', TURN_KNOWN)}
                    WHEN kind = 'decision' THEN {extras('line', DECISION_KNOWN)} END AS extras,
               CASE WHEN kind IN ('document', 'empty', 'unknown') THEN line END AS line
        FROM k""", [files])
    status_t, status_v = LINE.type("status"), LINE.text("status")
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE px_turns AS
        SELECT file, byte_offset, line_no, part, ts, day, kind AS event,
               'ccp_proxy:' || coalesce({typed(LINE, TURN_FIELDS[0])}, '-') || ':'
                   || substr(md5(file || ':' || byte_offset || ':' || part), 1, 16) AS turn_id,
               {columns(LINE, TURN_FIELDS)},
               CASE WHEN {status_t} IN ('UBIGINT', 'BIGINT') THEN TRY_CAST({status_v} AS BIGINT)
                    WHEN {status_t} = 'VARCHAR' AND lower({status_v}) IN {SQL_OK} THEN 200 END AS status,
               CASE WHEN {status_t} = 'VARCHAR' THEN {status_v} END AS status_text,
               list_concat({drift(LINE, TURN_FIELDS)},
                   CASE WHEN {status_t} IS NOT NULL AND {status_t} NOT IN ('UBIGINT', 'BIGINT', 'NULL')
                             AND NOT ({status_t} = 'VARCHAR' AND lower({status_v}) IN {SQL_STATUS_WORDS})
                        THEN ['status:' || {status_t}] ELSE [] END,
                   CASE WHEN {LINE.type('ts')} IS NULL THEN ['ts:missing']
                        WHEN {typed(LINE, Field('ts', 'ts', 'ts'))} IS NULL THEN ['ts:' || {LINE.type('ts')}]
                        ELSE [] END) AS type_drift,
               extras
        FROM px_lines WHERE kind IN ('completion', 'error')""")
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE px_decisions AS
        SELECT file, byte_offset, line_no, ts, day,
               'ccp_proxy:' || coalesce({typed(LINE, DECISION_FIELDS[0])}, '-') || ':'
                   || substr(md5(file || ':' || byte_offset || ':' || part), 1, 16) AS decision_id,
               {columns(LINE, DECISION_FIELDS)},
               {drift(LINE, DECISION_FIELDS)} AS type_drift,
               extras
        FROM px_lines WHERE kind = 'decision'""")
    _stage_docs(conn)


def _write(conn: duckdb.DuckDBPyConnection, d: date, res: ProxyResult) -> None:
    """Day d's rows from the staged tables into turns, routing_decisions, quarantine and summaries."""
    conn.execute(f"""INSERT INTO turns BY NAME
        SELECT t.turn_id, '{SOURCE}' AS source, t.day, t.ts, t.session_id, t.model,
               {provider_sql('t.upstream', 't.lane', 't.model')} AS provider,
               t.tokens_in, t.tokens_out, t.latency_ms, t.ttft_ms, t.stream_ms, t.lane, t.upstream, t.status,
               t.status_text, t.op, t.rid, t.request_id, t.event, t.err_type, t.reason, t.retry, t.wasted_retry_ms,
               t.event = 'error' OR lower(coalesce(t.status_text, '')) IN {SQL_FAIL}
                   OR coalesce(t.status >= 400, false) AS is_api_error,
               d.decision, d.decision_reason, t.file, t.byte_offset, t.line_no, t.part,
               CASE WHEN len(t.type_drift) > 0 THEN t.type_drift END AS type_drift, t.extras
        FROM px_turns t ASOF LEFT JOIN px_decisions d ON t.rid = d.rid AND t.ts >= d.ts
        WHERE t.day = ?""", [d])
    conn.execute(f"""INSERT INTO routing_decisions BY NAME
        SELECT d.* EXCLUDE (type_drift), '{SOURCE}' AS source, c.turn_id AS outcome_turn_id,
               CASE WHEN len(d.type_drift) > 0 THEN d.type_drift END AS type_drift
        FROM px_decisions d
        ASOF LEFT JOIN (SELECT rid, ts, turn_id FROM px_turns WHERE event = 'completion') c
            ON d.rid = c.rid AND d.ts <= c.ts
        WHERE d.day = ?""", [d])
    res.turns, res.completions, res.errors, res.drifted = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE event = 'completion'), count(*) FILTER (WHERE event = 'error'), "
        "count(type_drift) FROM turns WHERE source = ? AND day = ?", [SOURCE, d]).fetchone()
    res.decisions = conn.execute("SELECT count(*) FROM routing_decisions WHERE source = ? AND day = ?",
                                 [SOURCE, d]).fetchone()[0]
    res.drifted += conn.execute("SELECT count(type_drift) FROM routing_decisions WHERE source = ? AND day = ?",
                                [SOURCE, d]).fetchone()[0]
    for kind, qkind, what in (("empty", "empty_object", "an empty object `{}`: no event to record"),
                              ("unknown", "unknown_type", "unknown proxy event")):
        rows = conn.execute(
            "SELECT file, byte_offset, line_no, coalesce(line::JSON->>'$.event', ''), left(CAST(line::JSON AS VARCHAR), 160) "
            "FROM px_lines WHERE kind = ? AND day = ?", [kind, d]).fetchall()
        for path, off, ln, ev, excerpt in rows:
            reason = f"{what} '{ev}': counted and skipped" if kind == "unknown" else f"{what}: counted and skipped"
            conn.execute("INSERT INTO quarantine VALUES (?, 'normalize', ?, ?, ?, ?, ?, ?, ?, 'skipped', now())",
                         [SOURCE, qkind, path, off, ln, d, reason, excerpt])
        if rows:
            res.skipped[qkind] = len(rows)
    _summaries(conn, d, res)
    res.lines = conn.execute("SELECT count(*) FROM px_lines WHERE day = ?", [d]).fetchone()[0]
    res.quarantined = conn.execute("SELECT count(*) FROM quarantine WHERE source = ? AND stage = 'normalize' "
                                   "AND day = ?", [SOURCE, d]).fetchone()[0]


def _stage_docs(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE px_docs AS
        WITH docs AS (
            SELECT *, (j->'$.doc') AS doc, (j->>'$.error') AS error, (j->>'$.source_file') AS source_file,
                   (j->>'$.sha1') AS sha1, (j->>'$.export_key') AS export_key,
                   TRY_CAST(j->>'$.mtime' AS TIMESTAMPTZ) AS mtime
            FROM (SELECT * EXCLUDE (v, extras), line::JSON AS j FROM px_lines WHERE kind = 'document')
        ), typed AS (
            SELECT *, {columns('doc', SUMMARY_FIELDS)},
                   list_concat({drift('doc', SUMMARY_FIELDS)},
                       CASE WHEN error IS NULL AND json_type(doc) <> 'OBJECT' THEN ['(document):' || json_type(doc)]
                            ELSE [] END) AS type_drift,
                   {extras('doc', top_keys(SUMMARY_FIELDS))} AS extras
            FROM docs
        )
        SELECT *, coalesce(TRY_CAST("date" AS DATE), day) AS summary_day,
               row_number() OVER (PARTITION BY export_key ORDER BY byte_offset) AS copy_no
        FROM typed""")


def _summaries(conn: duckdb.DuckDBPyConnection, d: date, res: ProxyResult) -> None:
    bad = conn.execute("""SELECT source_file, line_no, error, type_drift, left(coalesce(CAST(doc AS VARCHAR),
                                 j->>'$.excerpt'), 160)
        FROM px_docs WHERE summary_day = ? AND copy_no = 1 AND (error IS NOT NULL OR len(type_drift) > 0)""",
                       [d]).fetchall()
    for path, _ln, error, tdrift, excerpt in bad:
        kind = "invalid_json" if error else "wrong_type"
        reason = error or ("wrong type: " + ", ".join(tdrift) + " (METRICS summary)")
        conn.execute("INSERT INTO quarantine VALUES (?, 'normalize', ?, ?, NULL, NULL, ?, ?, ?, 'rejected', now())",
                     [SOURCE, kind, path, d, reason, excerpt])
    has_raw = conn.execute("SELECT count(*) > 0 FROM px_lines WHERE kind <> 'document' AND day = ?",
                           [d]).fetchone()[0]
    conn.execute("""INSERT INTO proxy_daily_summaries BY NAME
        SELECT summary_day AS day, "schema", generated_at, total_requests, by_lane, by_model, decisions,
               errors_by_type, NOT ? AS backfill, 'ccp_proxy' AS source, source_file AS file, sha1, extras
        FROM px_docs WHERE summary_day = ? AND copy_no = 1 AND error IS NULL AND len(type_drift) = 0
        QUALIFY row_number() OVER (ORDER BY generated_at DESC NULLS LAST, mtime DESC NULLS LAST,
                                            byte_offset DESC) = 1""", [has_raw, d])
    res.summaries = conn.execute("SELECT count(*) FROM proxy_daily_summaries WHERE day = ?", [d]).fetchone()[0]
    res.backfill_days = conn.execute("SELECT count(*) FROM proxy_daily_summaries WHERE day = ? AND backfill",
                                     [d]).fetchone()[0]
