"""Buffered writers that count what they write, so the manifest needs no second pass over the files."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

MAX_PENDING = 64
"""Whole-file writes in flight on the writer thread (bounds memory to ~64 sessions)."""


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@dataclass
class SourceStats:
    """Per-source totals reported in the manifest."""

    files: int = 0
    lines: int = 0
    bytes: int = 0


@dataclass
class Sink:
    """Writes whole files or appends to long-lived ones; one instance per generation run.

    Whole files go to one writer thread: file I/O releases the GIL, so generation of the next session
    overlaps the write of the previous one (about 1.5x faster on a 2-core machine).
    """

    root: Path
    stats: dict[str, SourceStats] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    _open: dict[Path, tuple[str, IO[bytes], list[str]]] = field(default_factory=dict)
    _pool: ThreadPoolExecutor | None = None
    _pending: deque[Future[None]] = field(default_factory=deque)

    def record(self, source: str, path: Path, lines: int, nbytes: int, new_file: bool = True) -> None:
        """Count a file written by someone else (git writes the repo tree)."""
        st = self.stats.setdefault(source, SourceStats())
        st.lines += lines
        st.bytes += nbytes
        if new_file:
            st.files += 1
            self.paths.append(path)

    def write_lines(self, source: str, path: Path, lines: list[str]) -> None:
        """One JSONL file in a single write (a session is at most a few MB)."""
        data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
        self.write_bytes(source, path, data, len(lines))

    def write_stream(self, source: str, path: Path, lines: Iterable[str], chunk: int = 20_000) -> None:
        """A file too big to hold: lines are joined and written in chunks."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.record(source, path, 0, 0, True)
        buf: list[str] = []
        with path.open("wb") as fh:
            for line in lines:
                buf.append(line)
                if len(buf) >= chunk:
                    self._write_chunk(source, path, fh, buf)
            self._write_chunk(source, path, fh, buf)

    def _write_chunk(self, source: str, path: Path, fh: IO[bytes], buf: list[str]) -> None:
        if buf:
            data = ("\n".join(buf) + "\n").encode("utf-8")
            fh.write(data)
            self.record(source, path, len(buf), len(data), False)
            buf.clear()

    def write_bytes(self, source: str, path: Path, data: bytes, lines: int | None = None) -> None:
        """Queue a whole file for the writer thread; close() waits for all of them."""
        self.record(source, path, data.count(b"\n") if lines is None else lines, len(data), True)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-writer")
        self._pending.append(self._pool.submit(_write_file, path, data))
        while len(self._pending) > MAX_PENDING:
            self._pending.popleft().result()

    def append(self, source: str, path: Path, line: str) -> None:
        """Append one line to a file kept open until close(); flushed in 4 MB chunks."""
        entry = self._open.get(path)
        if entry is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            entry = (source, path.open("wb"), [])
            self._open[path] = entry
            self.record(source, path, 0, 0, True)
        buf = entry[2]
        buf.append(line)
        if len(buf) >= 2048:
            self._flush(path)

    def _flush(self, path: Path) -> None:
        source, fh, buf = self._open[path]
        self._write_chunk(source, path, fh, buf)

    def close(self) -> None:
        """Flush appenders and wait for queued files (re-raising any write error)."""
        while self._pending:
            self._pending.popleft().result()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        for path in list(self._open):
            self._flush(path)
            self._open[path][1].close()
        self._open.clear()


@dataclass(frozen=True)
class DemoRun:
    """What a source's standalone demo writer gets (sources/protocol.py: Source.write_demo); `out` is its folder."""

    sink: Sink
    out: Path
    seed: int
    days: list[dt.date]
    scale: int
