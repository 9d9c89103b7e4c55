"""Reading new bytes into lines with file, byte offset and line number: the temp table `staged` of a flush.

Why it looks like this:
- A file read from its start (the common case: a cold build, a rewritten file) is read by DuckDB itself
  (`read_text`, which also checks UTF-8) and split into lines in SQL; a line's byte offset is a
  running sum of the byte lengths before it. No per-line Python: on 114 MB of transcripts the Python block
  split, column lists and Arrow hand-over were 0.55 of 2.0 CPU s; the SQL split costs about 0.2.
- The tail of a grown file is read by Python from the ledger's offset (DuckDB's readers cannot start
  mid-file, and only bytes not landed before may be read), as are files too big to read whole within a
  flush's memory; Python hands DuckDB whole blocks of complete lines as one text each, never lines.
- A file or block that is not valid UTF-8 falls back to a line-by-line read: every line keeps its place
  and a bad one goes to quarantine with its offset and the offending byte.
- An unterminated last line is landed only if it is a complete JSON value; otherwise it is held back
  (the writer may still be writing it) and the file's offset stays before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from itertools import accumulate
from typing import TYPE_CHECKING

import duckdb

from ccp_assets.sources.landing_ledger import FileCursor

if TYPE_CHECKING:
    import pyarrow as pa

READ_BLOCK = 16 << 20
FLUSH_BYTES = 32 << 20
"""New bytes per flush: files are batched up to this (a big file is split in READ_BLOCK blocks). Bounds memory:
on 200 MB of demo data the landing peaked at 413 / 442 / 575 / 742 MB with 16 / 32 / 64 / 128 MB flushes,
at the same CPU time (4.0-4.2 s)."""
WHOLE_FILE_MAX = FLUSH_BYTES
"""Files up to this size (read from their start) are read whole by DuckDB; bigger ones by Python in READ_BLOCK
blocks (still split in SQL), so that no flush holds much more than FLUSH_BYTES."""
GLOB_CHARS = frozenset("*?[{\\")
"""DuckDB's readers expand these as a glob: a path holding one is read by Python instead."""
WHITESPACE = " \t\r\x0b\x0c"
"""What makes a line blank (Python's bytes.isspace): blank lines are not events; their numbers are kept."""
EXCERPT_CHARS = 160
HELD_REASON = "truncated last line (no newline yet): held until the writer finishes it"


def _pa():  # noqa: ANN202 - the pyarrow module
    """pyarrow on first landing, not when the code location loads (0.06-0.25 s of every start, measured)."""
    import pyarrow

    return pyarrow


def _ts() -> pa.DataType:
    return _pa().timestamp("us", tz="UTC")


def tail_is_complete(rest: bytes) -> bool:
    """An unterminated last line that is a complete JSON value is a finished line without its newline."""
    try:
        json.loads(rest)
    except ValueError:
        return False
    return True


def _blocks(cur: FileCursor) -> Iterator[tuple[int, int, list[bytes]]]:
    """(byte offset of the first line, its line number, raw lines) per block of complete lines from
    cur.start; sets cur.end/end_line_no (and cur.held_tail)."""
    offset, line_no = cur.start, cur.line_no
    with open(cur.path, "rb") as f:
        f.seek(offset)
        rest = b""
        while True:
            block = f.read(READ_BLOCK)
            if not block:
                break
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            if parts:
                yield offset, line_no + 1, parts
                offset += sum(map(len, parts)) + len(parts)
                line_no += len(parts)
    cur.end, cur.end_line_no = offset, line_no
    if rest:
        if not tail_is_complete(rest):
            cur.held_tail = (offset, line_no + 1, rest)
            return
        yield offset, line_no + 1, [rest]
        cur.end, cur.end_line_no = offset + len(rest), line_no + 1


def held_row(cur: FileCursor) -> tuple:
    """The quarantine row of a held tail: (kind, file, offset, line_no, day, reason, excerpt, state)."""
    assert cur.held_tail is not None
    offset, line_no, rest = cur.held_tail
    return ("truncated", cur.path, offset, line_no, None, HELD_REASON,
            rest[:EXCERPT_CHARS].decode("utf-8", "replace"), "held")


class _Batch:
    """Column buffers of lines read one by one (a block that is not valid UTF-8)."""

    def __init__(self) -> None:
        self.file: list[str] = []
        self.offset: list[int] = []
        self.line_no: list[int] = []
        self.line: list[str] = []
        self.problem: list[str | None] = []
        self.fallback: list[datetime | None] = []

    def add_block(self, path: str, first_offset: int, first_line_no: int, raws: list[bytes],
                  fallback: datetime | None) -> None:
        """Every non-blank line of a block; a line that is not UTF-8 keeps its place with a problem."""
        offsets = list(accumulate((len(r) + 1 for r in raws[:-1]), initial=first_offset))
        for k, raw in enumerate(raws):
            if not raw or raw.isspace():
                continue
            try:
                text, problem = raw.decode("utf-8"), None
            except UnicodeDecodeError as e:
                text = raw.decode("utf-8", "replace")
                problem = f"not UTF-8: invalid byte 0x{raw[e.start]:02x} at byte {e.start} of the line"
            self.file.append(path)
            self.offset.append(offsets[k])
            self.line_no.append(first_line_no + k)
            self.line.append(text)
            self.problem.append(problem)
            self.fallback.append(fallback)

    def __len__(self) -> int:
        return len(self.line)

    def table(self) -> pa.Table:
        pa = _pa()
        return pa.table({
            "file": pa.array(self.file, pa.string()), "byte_offset": pa.array(self.offset, pa.int64()),
            "line_no": pa.array(self.line_no, pa.int64()), "part": pa.array([0] * len(self), pa.int32()),
            "line": pa.array(self.line, pa.string()), "problem": pa.array(self.problem, pa.string()),
            "fallback_ts": pa.array(self.fallback, _ts()),
        })


def reads_whole(cur: FileCursor) -> bool:
    """Whether DuckDB reads this file itself: from its start, not too big, a path that is not a glob."""
    return cur.start == 0 and cur.size <= WHOLE_FILE_MAX and not (GLOB_CHARS & set(cur.path))


STAGED_COLUMNS = ("file VARCHAR, byte_offset BIGINT, line_no BIGINT, part INTEGER, line VARCHAR, problem VARCHAR, "
                  "fallback_ts TIMESTAMPTZ, is_rest BOOLEAN, ok BOOLEAN, ets TIMESTAMPTZ")


def split_sql(texts: str) -> str:
    """Rows of `staged` from `texts` (file, base_offset, base_line, fallback_ts, has_rest, text): each text
    split at newlines; a line's offset is its text's base plus the bytes before it, its number the text's
    base_line plus its position. `has_rest`: the last piece is what follows the last newline (a whole
    file's possible tail, flagged `is_rest` for landing_lines to decide). Empty lines are dropped here;
    other blank lines are not valid JSON and are dropped with the invalid ones (landing_write)."""
    return f"""
WITH u AS (
    SELECT file, base_offset, base_line, fallback_ts, has_rest, len(ls) AS n,
           unnest(ls) AS line, generate_subscripts(ls, 1) AS k
    FROM (SELECT *, string_split(text, chr(10)) AS ls FROM ({texts}))
), o AS (
    SELECT file, base_offset + sum(strlen(line) + 1) OVER (
               PARTITION BY file, base_offset ORDER BY k ROWS UNBOUNDED PRECEDING) - strlen(line) - 1 AS byte_offset,
           base_line + k AS line_no, CAST(0 AS INTEGER) AS part, line, CAST(NULL AS VARCHAR) AS problem, fallback_ts,
           has_rest AND k = n AS is_rest
    FROM u
)
SELECT * FROM o WHERE line <> '' OR is_rest
UNION ALL
SELECT *, false FROM lines_in"""


def classify_sql(rows: str, event_time_sql: str, optimistic: bool) -> str:
    """`ok` (valid JSON), the problem of a valid line that is not an object, and the event time `ets` of an
    object (the adapter's expression over `j`, which reads `j`), vectorized.

    Optimistic: the time is read straight from every line that starts with `{`, and only lines left
    without a time are parsed again to say whether they are valid JSON: one parse for most lines instead
    of two (a time read means the whole line parsed: DuckDB's JSON functions reject what json_valid
    rejects, glued or trailing text included). A malformed line that starts with `{` makes the statement
    fail; it is then run again not optimistic (validity first, time only for valid objects). DuckDB's
    `try()` would save that rerun, but around a failing JSON function it crashes DuckDB 1.4.5 now and then."""
    if optimistic:
        return f"""
WITH r AS (SELECT *, line AS j, problem IS NULL AND starts_with(ltrim(line, ' \t\r\n'), '{{') AS brace FROM ({rows})),
e AS (SELECT *, CASE WHEN brace AND NOT is_rest THEN {event_time_sql} END AS e FROM r),
q AS (
    SELECT *, CASE WHEN e IS NOT NULL THEN true WHEN problem IS NULL THEN json_valid(line) ELSE false END AS ok FROM e
)  -- a whole file's unterminated tail is often half-written: its time is read only once it is valid
SELECT file, byte_offset, line_no, part, line,
       CASE WHEN problem IS NOT NULL THEN problem
            WHEN ok AND NOT brace THEN 'not a JSON object: ' || json_type(j) END AS problem,
       fallback_ts, is_rest, ok,
       CASE WHEN e IS NOT NULL THEN e WHEN brace AND is_rest AND ok THEN {event_time_sql} END AS ets
FROM q"""
    return f"""
WITH p AS (SELECT *, line AS j, problem IS NULL AND json_valid(line) AS ok FROM ({rows})),
q AS (  -- valid JSON starting with `{{` is an object: no parse to say so
    SELECT *, CASE WHEN ok THEN starts_with(ltrim(line, ' \t\r\n'), '{{') ELSE false END AS is_object FROM p
)
SELECT file, byte_offset, line_no, part, line,
       CASE WHEN problem IS NOT NULL THEN problem
            WHEN ok AND NOT is_object THEN 'not a JSON object: ' || json_type(j) END AS problem,
       fallback_ts, is_rest, ok, CASE WHEN is_object THEN {event_time_sql} END AS ets
FROM q"""


class Flush:
    """The new lines of one flush: whole files DuckDB reads, plus blocks Python read."""

    def __init__(self) -> None:
        self.whole: dict[str, FileCursor] = {}
        self.fallback: dict[str, datetime | None] = {}
        self.segs: dict[str, list] = {"file": [], "base_offset": [], "base_line": [], "fallback_ts": [], "text": []}
        self.lines = _Batch()
        self.bytes = 0

    @property
    def full(self) -> bool:
        return self.bytes >= FLUSH_BYTES

    def __bool__(self) -> bool:
        return bool(self.whole or self.segs["file"] or len(self.lines))

    def add_whole(self, cur: FileCursor, fallback: datetime | None) -> None:
        """A file DuckDB reads whole (see reads_whole)."""
        self.whole[cur.path], self.fallback[cur.path] = cur, fallback
        self.bytes += cur.size

    def add_block(self, path: str, offset: int, first_line_no: int, raws: list[bytes],
                  fallback: datetime | None) -> None:
        """A block of complete lines: one text for DuckDB to split, or line by line if not UTF-8."""
        data = b"\n".join(raws)
        self.bytes += len(data) + 1
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.lines.add_block(path, offset, first_line_no, raws, fallback)
            return
        for key, value in zip(self.segs, (path, offset, first_line_no - 1, fallback, text), strict=True):
            self.segs[key].append(value)

    def stage(self, conn: duckdb.DuckDBPyConnection, event_time_sql: str) -> list[tuple]:
        """Create the temp table `staged` (STAGED_COLUMNS) from this flush's new bytes and set the whole
        files' cursors; returns the quarantine rows of held tails."""
        pa = _pa()
        conn.execute(f"CREATE OR REPLACE TEMP TABLE staged ({STAGED_COLUMNS})")
        held = self._read_whole(conn, event_time_sql) if self.whole else []
        if self.segs["file"] or len(self.lines):
            segs = pa.table({
                "file": pa.array(self.segs["file"], pa.string()),
                "base_offset": pa.array(self.segs["base_offset"], pa.int64()),
                "base_line": pa.array(self.segs["base_line"], pa.int64()),
                "fallback_ts": pa.array(self.segs["fallback_ts"], _ts()), "has_rest": pa.array([False] * len(self.segs["file"])),
                "text": pa.array(self.segs["text"], pa.string())})
            self._insert(conn, "SELECT * FROM seg_in", segs, self.lines.table(), event_time_sql)
        return held

    @staticmethod
    def _insert(conn: duckdb.DuckDBPyConnection, texts: str, segs: pa.Table | None, lines: pa.Table,
                event_time_sql: str, params: list | None = None) -> None:
        if segs is not None:
            conn.register("seg_in", segs)
        conn.register("lines_in", lines)
        try:
            try:
                conn.execute(f"INSERT INTO staged {classify_sql(split_sql(texts), event_time_sql, True)}", params or [])
            except duckdb.InvalidInputException:  # a malformed line starting with `{` (or a file not UTF-8)
                conn.execute(f"INSERT INTO staged {classify_sql(split_sql(texts), event_time_sql, False)}",
                             params or [])
        finally:
            conn.unregister("lines_in")
            if segs is not None:
                conn.unregister("seg_in")

    def _read_whole(self, conn: duckdb.DuckDBPyConnection, event_time_sql: str) -> list[tuple]:
        """DuckDB reads the whole files into `staged`; a file that is not UTF-8 is read line by line instead.
        Sets each whole file's cursor end; an unterminated, incomplete last line is held back."""
        paths = list(self.whole)
        try:
            self._insert_whole(conn, paths, event_time_sql)
        except duckdb.InvalidInputException:  # read_text refuses a file that is not UTF-8: find which
            paths = [p for p in paths if _is_utf8(p)]
            conn.execute("DELETE FROM staged")
            self._insert_whole(conn, paths, event_time_sql)
        held, drop, unread = [], [], dict(self.whole)
        for path, offset, line_no, rest in conn.execute(
                "SELECT file, byte_offset, line_no, line FROM staged WHERE is_rest").fetchall():
            cur, raw = unread.pop(path), rest.encode("utf-8")
            cur.end, cur.end_line_no = offset, line_no - 1
            if raw and tail_is_complete(raw):
                cur.end, cur.end_line_no = offset + len(raw), line_no
                continue
            drop.append(path)
            if raw:
                cur.held_tail = (offset, line_no, raw)
                held.append(held_row(cur))
        if drop:
            conn.execute("DELETE FROM staged WHERE is_rest AND file IN (SELECT unnest(?))", [drop])
        for path, cur in unread.items():  # not UTF-8: line by line
            for offset, first_line_no, raws in _blocks(cur):
                self.add_block(path, offset, first_line_no, raws, self.fallback[path])
            if cur.held_tail:
                held.append(held_row(cur))
        return held

    def _insert_whole(self, conn: duckdb.DuckDBPyConnection, paths: list[str], event_time_sql: str) -> None:
        pa = _pa()
        if not paths:
            return
        conn.register("whole_in", pa.table({"file": pa.array(paths, pa.string()),
                                            "fallback_ts": pa.array([self.fallback[p] for p in paths], _ts())}))
        try:
            self._insert(conn, "SELECT t.filename AS file, 0 AS base_offset, 0 AS base_line, w.fallback_ts, "
                               "true AS has_rest, t.content AS text "
                               "FROM read_text(?) t JOIN whole_in w ON w.file = t.filename",
                         None, _Batch().table(), event_time_sql, [paths])
        finally:
            conn.unregister("whole_in")


def _is_utf8(path: str) -> bool:
    with open(path, "rb") as f:
        data = f.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
