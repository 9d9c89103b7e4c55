"""Writing a flush's staged lines: what does not parse goes to quarantine, glued objects are split, every
line gets an event time and lands under its day as zstd Parquet (new files only, never a rewrite).

- Validity and event time are vectorized (landing_lines' `staged`); only the lines that are not valid JSON
  come to Python, to be rescued (`{...}{...}` as the proxy writes them) or given a reason.
- A line without a time of its own (a `summary` line) takes the previous line's time in its file, else the
  next one's, else the file's (its last landed time, or its mtime); never "now", which would invent a day.
- A file read again from its start (shrunk or replaced) lands only lines whose hash it has not landed yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from ccp_assets.sources.landing_lines import EXCERPT_CHARS, WHITESPACE

ROW_GROUP_ROWS = 8192
"""Small Parquet row groups: a reader holds a row group per thread, and JSON work on 55k-line groups ran past
DuckDB's memory limit on a 4 GB corpus; 8k-line groups stay well inside it."""

_DECODER = json.JSONDecoder()


@dataclass
class Written:
    """What one flush landed: lines per day, the latest event time per file, quarantine rows."""

    days: dict[str, int] = field(default_factory=dict)
    last_ts: dict[str, datetime] = field(default_factory=dict)
    quarantine_rows: list[tuple] = field(default_factory=list)


def _split_glued(text: str) -> list[str] | None:
    """`{...}{...}` (and stray `{}`) as the proxy writes them: the raw text of each object, or None."""
    parts, i, n = [], 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r":
            i += 1
        if i >= n:
            break
        try:
            obj, end = _DECODER.raw_decode(text, i)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        if obj:
            parts.append(text[i:end])
        i = end
    return parts if len(parts) >= 1 else None


def _json_error(text: str) -> str:
    try:
        json.loads(text)
    except ValueError as e:
        return f"invalid JSON: {e.msg} at column {getattr(e, 'colno', '?')}"
    return "invalid JSON"


FILL_TS = """coalesce(ets, last_value(ets IGNORE NULLS) OVER (
        PARTITION BY file ORDER BY byte_offset, part ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
    first_value(ets IGNORE NULLS) OVER (
        PARTITION BY file ORDER BY byte_offset, part ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),
    fallback_ts)"""
"""A line's time: its own, else the previous one's in its file, else the next one's, else the file's."""


def rescue_or_reject(conn: duckdb.DuckDBPyConnection, event_time_sql: str) -> None:
    """Lines of `staged` that are not valid JSON: blank ones are dropped (not events; the others keep their
    numbers), glued objects replace their line (one row per object, `part` numbering them), anything else
    gets its parser's reason as `problem`."""
    bad = conn.execute("SELECT file, byte_offset, line_no, line, fallback_ts FROM staged "
                       "WHERE problem IS NULL AND NOT ok").fetchall()
    if not bad:
        return
    blank, rescued, failed = [], [], []
    for path, off, ln, text, fb in bad:
        if not text.strip(WHITESPACE):
            blank.append((path, off))
        elif parts := _split_glued(text):
            rescued += [(path, off, ln, i, p, fb) for i, p in enumerate(parts)]
        else:
            failed.append((path, off, _json_error(text)))
    import pyarrow as pa  # here, not at module level: the code location imports landing (0.06-0.25 s, measured)

    # Set statements: a DELETE or UPDATE per line scans `staged` each time (0.9 s of a 6 s landing of 200 MB
    # of demo data, whose proxy log has glued lines).
    conn.register("gone_in", pa.table({"file": pa.array([f for f, _ in blank] + [r[0] for r in rescued], pa.string()),
                                       "byte_offset": pa.array([o for _, o in blank] + [r[1] for r in rescued],
                                                               pa.int64())}))
    conn.register("rescued_in", pa.table({
        "file": pa.array([r[0] for r in rescued], pa.string()), "byte_offset": pa.array([r[1] for r in rescued], pa.int64()),
        "line_no": pa.array([r[2] for r in rescued], pa.int64()), "part": pa.array([r[3] for r in rescued], pa.int32()),
        "line": pa.array([r[4] for r in rescued], pa.string()),
        "fallback_ts": pa.array([r[5] for r in rescued], pa.timestamp("us", tz="UTC"))}))
    conn.register("failed_in", pa.table({
        "file": pa.array([r[0] for r in failed], pa.string()), "byte_offset": pa.array([r[1] for r in failed], pa.int64()),
        "problem": pa.array([r[2] for r in failed], pa.string())}))
    try:
        if blank or rescued:
            conn.execute("DELETE FROM staged WHERE (file, byte_offset) IN (SELECT file, byte_offset FROM gone_in)")
        if rescued:
            conn.execute(f"INSERT INTO staged SELECT file, byte_offset, line_no, part, line, NULL, fallback_ts, false, "
                         f"true, {event_time_sql} FROM (SELECT *, line AS j FROM rescued_in)")
        if failed:
            conn.execute("UPDATE staged SET problem = f.problem FROM failed_in f "
                         "WHERE staged.file = f.file AND staged.byte_offset = f.byte_offset")
    finally:
        for name in ("gone_in", "rescued_in", "failed_in"):
            conn.unregister(name)


def write(conn: duckdb.DuckDBPyConnection, *, event_time_sql: str, timezone: str, target: Path, pattern: str,
          existing: list[str], dedup_files: list[str]) -> Written:
    """Land the good lines of `staged` under `target/day=.../<pattern>.parquet`, with their event times.
    `existing`: the source's landed Parquet files (read only when `dedup_files` has a file of this flush)."""
    rescue_or_reject(conn, event_time_sql)
    dedup_sql = ""
    if dedup_files and existing:
        conn.execute("CREATE OR REPLACE TEMP TABLE seen AS SELECT DISTINCT file, line_hash FROM "
                     "read_parquet(?, hive_partitioning = false) WHERE file IN (SELECT unnest(?))",
                     [existing, dedup_files])
        dedup_sql = "WHERE (file, line_hash) NOT IN (SELECT file, line_hash FROM seen)"
    tz = timezone.replace("'", "")
    day_sql = f"CAST(timezone('{tz}', ts) AS DATE)"
    out = Written()
    target.mkdir(parents=True, exist_ok=True)
    stats = conn.execute(f"""
        COPY (SELECT *, {day_sql} AS day FROM (
                SELECT file, byte_offset, line_no, part, {FILL_TS} AS ts, line, hash(line) AS line_hash
                FROM staged WHERE problem IS NULL) {dedup_sql}
              ORDER BY day, file, byte_offset, part)
        TO '{target}' (FORMAT parquet, PARTITION_BY (day), FILENAME_PATTERN '{pattern}', OVERWRITE_OR_IGNORE true,
                       COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS}, RETURN_STATS true)""").fetchall()
    for _file, count, *_rest, keys in stats:
        out.days[keys["day"]] = out.days.get(keys["day"], 0) + count
    # A file's latest time: its latest own time, or (none at all) the fallback every line of it took.
    out.last_ts = dict(conn.execute("SELECT file, coalesce(max(ets), max(fallback_ts)) FROM staged GROUP BY 1 "
                                    "HAVING coalesce(max(ets), max(fallback_ts)) IS NOT NULL").fetchall())
    if conn.execute("SELECT count(*) FROM staged WHERE problem IS NOT NULL").fetchone()[0]:
        for path, off, ln, day, problem, excerpt in conn.execute(
                f"SELECT file, byte_offset, line_no, {day_sql}, problem, left(line, {EXCERPT_CHARS}) "
                f"FROM (SELECT *, {FILL_TS} AS ts FROM staged) WHERE problem IS NOT NULL").fetchall():
            kind = problem.split(":")[0].replace(" ", "_").lower()
            out.quarantine_rows.append((kind, path, off, ln, day, problem, excerpt, "rejected"))
    return out
