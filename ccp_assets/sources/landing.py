"""Incremental, immutable landing of raw JSONL lines into Parquet, one folder per event day.

Why it looks like this:
- Only bytes not landed before are read: each file's identity (device, inode, a hash of its head)
  and byte offset are remembered in `landing_files`. A file that shrank or changed identity is
  re-read from the start and lines already landed from it are skipped (deduplicated by line hash).
- A batch writes new Parquet files (never rewrites old ones), then commits its ledger rows in one
  transaction. Files of a batch that never committed (a crash) are deleted on the next landing, so
  a crash loses nothing and lands nothing twice.
- Reading, splitting and parsing happen in DuckDB: files read from their start are read by DuckDB's own
  reader and split into lines (with byte offset and line number) in SQL; Python only reads the new tail
  of a grown file (and files bigger than a flush) in blocks it hands to the same split, and rescues
  glued objects (`{...}{...}`). Memory is bounded by batching files into flushes of about 32 MB of new
  bytes. Cold, 379 MB of transcripts: 7.6 -> 5.7 s CPU for the whole process (bench/README.md).
- A line without a time of its own (a `summary` line) takes the previous line's time in its file, else
  the next one's, else the file's; never "now", which would invent a day.
- An unterminated last line is held back (the writer may still be writing it) and shown in
  quarantine as `held` until it completes.

The mechanisms live beside this module: landing_ledger (identity, offsets, the one-transaction commit),
landing_lines (bytes to lines), landing_write (quarantine, event time, Parquet).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ccp_assets.settings import Settings
from ccp_assets.sources.base import SourceAdapter
from ccp_assets.sources.landing_ledger import (
    FileCursor,
    LandingResult,
    cleanup_uncommitted,
    commit,
    next_batch_id,
    plan,
    prior_times,
)
from ccp_assets.sources.landing_lines import Flush, _Batch, _blocks, held_row, reads_whole
from ccp_assets.sources.landing_write import ROW_GROUP_ROWS, write

__all__ = ["ROW_GROUP_ROWS", "FileCursor", "LandingResult", "_Batch", "_blocks", "day_files", "land",
           "landed_days", "source_dir"]


def source_dir(settings: Settings, source: str) -> Path:
    return settings.landing_dir / source


def day_files(settings: Settings, source: str, days: list[str]) -> list[str]:
    """Parquet files landed for the given days (existing ones only)."""
    base = source_dir(settings, source)
    return sorted(str(p) for d in days for p in (base / f"day={d}").glob("*.parquet"))


def landed_days(settings: Settings, source: str) -> list[str]:
    base = source_dir(settings, source)
    return sorted(p.name[4:] for p in base.glob("day=*") if any(p.glob("*.parquet"))) if base.exists() else []


class Lander:
    """Lands one source's new bytes as one batch (one or more flushes, one commit)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, adapter: SourceAdapter, settings: Settings):
        self.conn, self.adapter, self.settings = conn, adapter, settings
        self.result = LandingResult(adapter.name)
        self.target = source_dir(settings, adapter.name)
        self.flushes = 0
        self.quarantine_rows: list[tuple] = []
        self.last_ts: dict[str, datetime] = {}
        self.dedup_files: set[str] = set()

    def run(self) -> LandingResult:
        conn, name = self.conn, self.adapter.name
        cleanup_uncommitted(conn, self.target)
        files = self.adapter.files(self.settings)  # listed once: 36k transcripts cost seconds to list
        cursors = plan(conn, name, files)
        self.result.files_seen = len(files)
        if not cursors:
            return self.result
        self.result.batch_id = next_batch_id(conn)
        prior_ts = prior_times(conn, name)
        self.dedup_files = {c.path for c in cursors if c.dedup}
        flush = Flush()
        for cur in cursors:
            fallback = prior_ts.get(cur.path) if not cur.dedup else None
            if fallback is None:
                fallback = datetime.fromtimestamp(cur.mtime, UTC)
            if reads_whole(cur):
                flush.add_whole(cur, fallback)
            else:
                for offset, line_no, raws in _blocks(cur):
                    flush.add_block(cur.path, offset, line_no, raws, fallback)
                    if flush.full:
                        flush = self._flush(flush)
                if cur.held_tail:
                    self.quarantine_rows.append(held_row(cur))
            if flush.full:
                flush = self._flush(flush)
        if flush:
            self._flush(flush)
        self.result.files_read = len(cursors)
        self.result.bytes_read = sum(c.end - c.start for c in cursors)
        self.result.held = sum(1 for c in cursors if c.held_tail)
        commit(conn, self.result, cursors, self.last_ts, self.quarantine_rows)
        return self.result

    def _flush(self, flush: Flush) -> Flush:
        """Stage and write one flush; returns a fresh one."""
        self.quarantine_rows += flush.stage(self.conn, self.adapter.event_time_sql)
        self.flushes += 1
        dedup = sorted(self.dedup_files & ({*flush.whole} | {*flush.segs["file"]} | {*flush.lines.file}))
        name = self.adapter.name
        written = write(self.conn, event_time_sql=self.adapter.event_time_sql, timezone=self.settings.timezone,
                        target=self.target, pattern=f"b{self.result.batch_id:08d}_f{self.flushes:04d}_{{i}}",
                        existing=day_files(self.settings, name, landed_days(self.settings, name)) if dedup else [],
                        dedup_files=dedup)
        for day, n in written.days.items():
            self.result.days[day] = self.result.days.get(day, 0) + n
            self.result.lines_landed += n
        for path, ts in written.last_ts.items():
            if path not in self.last_ts or ts > self.last_ts[path]:
                self.last_ts[path] = ts
        self.quarantine_rows += written.quarantine_rows
        return Flush()


def land(conn: duckdb.DuckDBPyConnection, adapter: SourceAdapter, settings: Settings) -> LandingResult:
    """Land every new complete line of one source; safe to call at any time, as often as wanted."""
    if not adapter.enabled(settings):
        return LandingResult(adapter.name)
    return Lander(conn, adapter, settings).run()
