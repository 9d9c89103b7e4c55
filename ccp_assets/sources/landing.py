"""Incremental, immutable landing of raw JSONL lines into Parquet, one folder per event day.

Why it looks like this:
- Only bytes not landed before are read: each file's identity (device, inode, a hash of its head)
  and byte offset are remembered in `landing_files`. A file that shrank or changed identity is
  re-read from the start and lines already landed from it are skipped (deduplicated by line hash).
- A batch writes new Parquet files (never rewrites old ones), then commits its ledger rows in one
  transaction. Files of a batch that never committed (a crash) are deleted on the next landing, so
  a crash loses nothing and lands nothing twice.
- Parsing happens in DuckDB (vectorized JSON), not line by line in Python; Python only splits bytes,
  checks UTF-8 and rescues glued objects (`{...}{...}`).
- A line without a time of its own (a `summary` line) takes the previous line's time in its file, else
  the next one's, else the file's; never "now", which would invent a day.
- An unterminated last line is held back (the writer may still be writing it) and shown in
  quarantine as `held` until it completes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

import duckdb
import pyarrow as pa

from ccp_assets.settings import Settings
from ccp_assets.sources.base import SourceAdapter
from ccp_assets.warehouse.tx import transaction

READ_BLOCK = 16 << 20
FLUSH_ROWS = 100_000
# Small Parquet row groups: a reader holds a row group per thread, and JSON work on 55k-line groups
# ran past DuckDB's memory limit on a 4 GB corpus; 8k-line groups stay well inside it.
ROW_GROUP_ROWS = 8192
FLUSH_BYTES = 16 << 20  # a flush holds its lines as Python strings, Arrow and DuckDB rows: 16 MB
                        # measured fastest and leanest (334 MB corpus: 5.8 s / 0.58 GB vs 64 MB: 6.8 s / 1.1 GB)
HEAD_BYTES = 1024
EXCERPT_CHARS = 160

_DECODER = json.JSONDecoder()


@dataclass
class FileCursor:
    path: str
    start: int
    line_no: int
    dedup: bool
    dev: int
    ino: int
    size: int
    mtime: float
    end: int = 0
    end_line_no: int = 0
    held_tail: tuple[int, int, bytes] | None = None


@dataclass
class LandingResult:
    source: str
    batch_id: int | None = None
    files_seen: int = 0
    files_read: int = 0
    bytes_read: int = 0
    lines_landed: int = 0
    quarantined: int = 0
    held: int = 0
    days: dict[str, int] = field(default_factory=dict)


def source_dir(settings: Settings, source: str) -> Path:
    return settings.landing_dir / source


def day_files(settings: Settings, source: str, days: list[str]) -> list[str]:
    """Parquet files landed for the given days (existing ones only)."""
    base = source_dir(settings, source)
    return sorted(str(p) for d in days for p in (base / f"day={d}").glob("*.parquet"))


def landed_days(settings: Settings, source: str) -> list[str]:
    base = source_dir(settings, source)
    return sorted(p.name[4:] for p in base.glob("day=*") if any(p.glob("*.parquet"))) if base.exists() else []


def _head_hash(path: Path, length: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha1(f.read(length)).hexdigest()


def _cleanup_uncommitted(conn: duckdb.DuckDBPyConnection, settings: Settings, source: str) -> None:
    """Delete Parquet files of batches that never committed (a crash between write and commit)."""
    committed = conn.execute("SELECT coalesce(max(batch_id), 0) FROM landing_batches").fetchone()[0]
    for p in source_dir(settings, source).glob("day=*/b*.parquet"):
        if int(p.name[1:9]) > committed:
            p.unlink()


def _plan(conn: duckdb.DuckDBPyConnection, adapter: SourceAdapter, files: list[Path]) -> list[FileCursor]:
    """Which files have new bytes, and where to start reading each."""
    ledger = {r[0]: r[1:] for r in conn.execute(
        "SELECT path, dev, ino, head_len, head_hash, byte_offset, line_no, size, mtime FROM landing_files "
        "WHERE source = ?", [adapter.name]).fetchall()}
    plan = []
    for path in files:
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        key = str(path)
        cur = FileCursor(key, 0, 0, False, st.st_dev, st.st_ino, st.st_size, st.st_mtime)
        if key in ledger:
            dev, ino, head_len, head_hash, offset, line_no, size, mtime = ledger[key]
            same_identity = (dev, ino) == (st.st_dev, st.st_ino) and st.st_size >= offset
            if same_identity and st.st_size == size and st.st_mtime == mtime:
                continue  # nothing new
            if same_identity and head_len and _head_hash(path, head_len) == head_hash:
                if st.st_size == offset:
                    continue
                cur.start, cur.line_no = offset, line_no
            else:
                cur.dedup = True  # shrank or replaced: read again from the start, skip what we have
        plan.append(cur)
    return plan


def _blocks(cur: FileCursor) -> Iterator[tuple[int, int, list[bytes]]]:
    """(byte offset of the first line, its line number, raw lines) per block of complete lines from
    cur.start; sets cur.end/end_line_no. Whole blocks, not lines: the per-line Python work is what
    limited landing speed."""
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
        # Unterminated tail: a complete JSON value is a finished line without its newline; anything
        # else is still being written and is held back (the offset stays before it).
        try:
            json.loads(rest)
        except ValueError:
            cur.held_tail = (offset, line_no + 1, rest)
            return
        yield offset, line_no + 1, [rest]
        cur.end, cur.end_line_no = offset + len(rest), line_no + 1


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


class _Batch:
    """Column buffers for one flush."""

    def __init__(self) -> None:
        self.file: list[str] = []
        self.offset: list[int] = []
        self.line_no: list[int] = []
        self.part: list[int] = []
        self.line: list[str] = []
        self.problem: list[str | None] = []
        self.fallback: list[datetime | None] = []
        self.bytes = 0

    def add_block(self, path: str, first_offset: int, first_line_no: int, raws: list[bytes],
                  fallback: datetime | None) -> None:
        """Every non-blank line of a block; a line that is not UTF-8 keeps its place with a problem."""
        offsets = list(accumulate((len(r) + 1 for r in raws[:-1]), initial=first_offset))
        try:
            texts: list[str] = b"\n".join(raws).decode("utf-8").split("\n")
            problems: list[str | None] = [None] * len(raws)
        except UnicodeDecodeError:
            texts, problems = [], []
            for raw in raws:
                try:
                    texts.append(raw.decode("utf-8"))
                    problems.append(None)
                except UnicodeDecodeError as e:
                    texts.append(raw.decode("utf-8", "replace"))
                    problems.append(f"not UTF-8: invalid byte 0x{raw[e.start]:02x} at byte {e.start} of the line")
        keep = [k for k, raw in enumerate(raws) if not raw.isspace() and raw]
        if len(keep) < len(raws):  # blank lines are not events: skipped, their numbers kept by the others
            texts, problems, offsets = [texts[k] for k in keep], [problems[k] for k in keep], [offsets[k] for k in keep]
            line_nos = [first_line_no + k for k in keep]
        else:
            line_nos = list(range(first_line_no, first_line_no + len(raws)))
        n = len(texts)
        self.file += [path] * n
        self.offset += offsets
        self.line_no += line_nos
        self.part += [0] * n
        self.line += texts
        self.problem += problems
        self.fallback += [fallback] * n
        self.bytes += sum(map(len, texts))

    def __len__(self) -> int:
        return len(self.line)

    def table(self) -> pa.Table:
        return pa.table({
            "file": self.file, "byte_offset": pa.array(self.offset, pa.int64()),
            "line_no": pa.array(self.line_no, pa.int64()), "part": pa.array(self.part, pa.int32()),
            "line": pa.array(self.line, pa.string()), "problem": pa.array(self.problem, pa.string()),
            "fallback_ts": pa.array(self.fallback, pa.timestamp("us", tz="UTC")),
        })


class Lander:
    """Lands one source's new bytes as one batch."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, adapter: SourceAdapter, settings: Settings):
        self.conn, self.adapter, self.settings = conn, adapter, settings
        self.result = LandingResult(adapter.name)
        self.flushes = 0
        self.quarantine_rows: list[tuple] = []
        self.last_ts: dict[str, datetime] = {}

    def run(self) -> LandingResult:
        conn, name = self.conn, self.adapter.name
        _cleanup_uncommitted(conn, self.settings, name)
        files = self.adapter.files(self.settings)  # listed once: 36k transcripts cost seconds to list
        plan = _plan(conn, self.adapter, files)
        self.result.files_seen = len(files)
        if not plan:
            return self.result
        self.batch_id = conn.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM landing_batches").fetchone()[0]
        self.result.batch_id = self.batch_id
        prior_ts = dict(conn.execute("SELECT path, last_ts FROM landing_files WHERE source = ?", [name]).fetchall())
        self.dedup_files = [c.path for c in plan if c.dedup]
        batch = _Batch()
        for cur in plan:
            fallback = prior_ts.get(cur.path) if not cur.dedup else None
            if fallback is None:
                fallback = datetime.fromtimestamp(cur.mtime, UTC)
            for offset, line_no, raws in _blocks(cur):
                batch.add_block(cur.path, offset, line_no, raws, fallback)
                if len(batch) >= FLUSH_ROWS or batch.bytes >= FLUSH_BYTES:
                    self._flush(batch, plan)
                    batch = _Batch()
            self.result.bytes_read += cur.end - cur.start
            self.result.files_read += 1
            if cur.held_tail:
                off, ln, rest = cur.held_tail
                self.result.held += 1
                self.quarantine_rows.append(("truncated", cur.path, off, ln, None,
                                             "truncated last line (no newline yet): held until the writer "
                                             "finishes it", rest[:EXCERPT_CHARS].decode("utf-8", "replace"),
                                             "held"))
        if len(batch):
            self._flush(batch, plan)
        self._commit(plan)
        return self.result

    def _flush(self, batch: _Batch, plan: list[FileCursor]) -> None:
        conn = self.conn
        conn.register("batch_in", batch.table())
        conn.execute("CREATE OR REPLACE TEMP TABLE staged AS "
                     "SELECT *, problem IS NULL AND json_valid(line) AS ok FROM batch_in")
        conn.unregister("batch_in")
        bad = conn.execute("SELECT file, byte_offset, line_no, line, fallback_ts FROM staged "
                           "WHERE problem IS NULL AND NOT ok").fetchall()
        if bad:
            rescued, failed = [], []
            for path, off, ln, text, fb in bad:
                parts = _split_glued(text)
                if parts:
                    rescued += [(path, off, ln, i, p, None, fb, True) for i, p in enumerate(parts)]
                else:
                    failed.append((_json_error(text), path, off))
            originals = sorted({(r[0], r[1]) for r in rescued})
            if originals:
                conn.executemany("DELETE FROM staged WHERE file = ? AND byte_offset = ?", originals)
                conn.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rescued)
            if failed:
                conn.executemany("UPDATE staged SET problem = ? WHERE file = ? AND byte_offset = ?", failed)
        dedup_files = self.dedup_files
        dedup_sql = ""
        if dedup_files:
            existing = day_files(self.settings, self.adapter.name, landed_days(self.settings, self.adapter.name))
            if existing:
                conn.execute("CREATE OR REPLACE TEMP TABLE seen AS SELECT DISTINCT file, line_hash FROM "
                             "read_parquet(?, hive_partitioning = false) WHERE file IN (SELECT unnest(?))",
                             [existing, dedup_files])
                dedup_sql = "AND (file, hash(line)) NOT IN (SELECT file, line_hash FROM seen)"
        tz = self.settings.timezone.replace("'", "")
        conn.execute(f"""
            CREATE OR REPLACE TEMP TABLE stamped AS
            WITH p AS (  -- valid JSON (checked above) starting with `{{` is an object: no parse to say so
                SELECT *, CASE WHEN problem IS NULL THEN line END AS j,
                       problem IS NULL AND starts_with(ltrim(line, ' \t\r\n'), '{{') AS is_object FROM staged
            ), t AS (
                SELECT file, byte_offset, line_no, part, line, fallback_ts,
                       CASE WHEN problem IS NOT NULL THEN problem
                            WHEN NOT is_object THEN 'not a JSON object: ' || json_type(j) END AS problem,
                       CASE WHEN is_object THEN {self.adapter.event_time_sql} END AS ets
                FROM p
            )
            SELECT * EXCLUDE (ets, fallback_ts),
                   coalesce(ets, last_value(ets IGNORE NULLS) OVER (
                       PARTITION BY file ORDER BY byte_offset, part ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                       first_value(ets IGNORE NULLS) OVER (
                       PARTITION BY file ORDER BY byte_offset, part ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),
                       fallback_ts) AS ts
            FROM t""")
        to_land = f"""SELECT file, byte_offset, line_no, part, ts, line, hash(line) AS line_hash,
                              CAST(timezone('{tz}', ts) AS DATE) AS day
                       FROM stamped WHERE problem IS NULL {dedup_sql}"""  # read twice, never materialized
        self.flushes += 1
        pattern = f"b{self.batch_id:08d}_f{self.flushes:04d}_{{i}}"
        target = source_dir(self.settings, self.adapter.name)
        target.mkdir(parents=True, exist_ok=True)
        counts = conn.execute(f"SELECT CAST(day AS VARCHAR), count(*) FROM ({to_land}) GROUP BY 1").fetchall()
        if counts:
            conn.execute(f"COPY ({to_land} ORDER BY day, file, byte_offset, part) TO '{target}' "
                         f"(FORMAT parquet, PARTITION_BY (day), FILENAME_PATTERN '{pattern}', "
                         f"OVERWRITE_OR_IGNORE true, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
        for day, n in counts:
            self.result.days[day] = self.result.days.get(day, 0) + n
            self.result.lines_landed += n
        for path, ts in conn.execute("SELECT file, max(ts) FROM stamped GROUP BY 1").fetchall():
            if ts is not None and (path not in self.last_ts or ts > self.last_ts[path]):
                self.last_ts[path] = ts
        for kind_reason in conn.execute(
                f"SELECT file, byte_offset, line_no, CAST(timezone('{tz}', ts) AS DATE), problem, "
                f"left(line, {EXCERPT_CHARS}) FROM stamped WHERE problem IS NOT NULL").fetchall():
            path, off, ln, day, problem, excerpt = kind_reason
            kind = problem.split(":")[0].replace(" ", "_").lower()
            self.quarantine_rows.append((kind, path, off, ln, day, problem, excerpt, "rejected"))

    def _commit(self, plan: list[FileCursor]) -> None:
        """Ledger rows of every file read, in one transaction and a few set statements (a statement per
        file cost 2.5 ms each: 7.7 s of a 17 s landing of 3,000 transcripts)."""
        conn, name, now = self.conn, self.adapter.name, datetime.now(UTC)
        heads = [(min(cur.end, HEAD_BYTES), cur) for cur in plan]
        ledger = pa.table({
            "source": [name] * len(plan), "path": [c.path for c in plan],
            "dev": pa.array([c.dev for c in plan], pa.uint64()), "ino": pa.array([c.ino for c in plan], pa.uint64()),
            "head_len": pa.array([n for n, _ in heads], pa.int64()),
            "head_hash": [_head_hash(Path(c.path), n) if n else "" for n, c in heads],
            "byte_offset": pa.array([c.end for c in plan], pa.int64()),
            "line_no": pa.array([c.end_line_no for c in plan], pa.int64()),
            "size": pa.array([c.size for c in plan], pa.int64()), "mtime": pa.array([c.mtime for c in plan], pa.float64()),
            "last_ts": pa.array([self.last_ts.get(c.path) for c in plan], pa.timestamp("us", tz="UTC")),
            "updated_at": pa.array([now] * len(plan), pa.timestamp("us", tz="UTC")),
        })
        conn.register("ledger_in", ledger)
        try:
            with transaction(conn):
                conn.execute("DELETE FROM quarantine WHERE source = ? AND stage = 'landing' AND state = 'held' "
                             "AND file IN (SELECT path FROM ledger_in)", [name])
                conn.execute("INSERT OR REPLACE INTO landing_files SELECT * FROM ledger_in")
                if self.quarantine_rows:
                    conn.executemany(
                        "INSERT INTO quarantine VALUES (?, 'landing', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(name, k, f, o, ln, d, r, e, s, now) for k, f, o, ln, d, r, e, s in self.quarantine_rows])
                self.result.quarantined = sum(1 for r in self.quarantine_rows if r[-1] == "rejected")
                conn.execute("INSERT INTO landing_batches VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [self.batch_id, name, now, self.result.files_read, self.result.lines_landed,
                              self.result.bytes_read, sorted(self.result.days)])
        finally:
            conn.unregister("ledger_in")


def land(conn: duckdb.DuckDBPyConnection, adapter: SourceAdapter, settings: Settings) -> LandingResult:
    """Land every new complete line of one source; safe to call at any time, as often as wanted."""
    if not adapter.enabled(settings):
        return LandingResult(adapter.name)
    return Lander(conn, adapter, settings).run()
