"""Buffered writers that count what they write, so the manifest needs no second pass over the files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_FLUSH_BYTES = 4 << 20


@dataclass
class SourceStats:
    """Per-source totals reported in the manifest."""

    files: int = 0
    lines: int = 0
    bytes: int = 0


@dataclass
class Sink:
    """Writes whole files or appends to long-lived ones; one instance per generation run."""

    root: Path
    stats: dict[str, SourceStats] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    _open: dict[Path, tuple[str, IO[bytes], list[str]]] = field(default_factory=dict)

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

    def write_bytes(self, source: str, path: Path, data: bytes, lines: int | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.record(source, path, data.count(b"\n") if lines is None else lines, len(data), True)

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
        if buf:
            data = ("\n".join(buf) + "\n").encode("utf-8")
            fh.write(data)
            self.record(source, path, len(buf), len(data), False)
            buf.clear()

    def close(self) -> None:
        for path in list(self._open):
            self._flush(path)
            self._open[path][1].close()
        self._open.clear()
