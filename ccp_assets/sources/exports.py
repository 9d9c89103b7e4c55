"""Export logs: how inputs that are not JSONL (whole JSON documents, git history, feature files, JUnit XML)
reach the one landing engine.

An adapter's `files()` first appends what is new in such inputs to an append-only JSONL file under
`$CCP_HOME/exports/<source>/` (one compact JSON object per line, each with an `export_key` naming the
input version it came from, its original path in `source_file` and its event time in `ts`), then
returns that file with the source's own JSONL files. Landing then treats it like any log: only new
bytes are read, lines land under their event day, and the landed Parquet survives the input's deletion.

Keys already exported are remembered in a `.keys` file beside the log. The key is written after the
line, so a crash between the two can export a line twice; normalizers deduplicate by `export_key`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from ccp_assets.settings import Settings

EXPORT_MARK = "ccp_export"
"""Top-level key present on every exported line (its value is the record kind)."""
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def export_dir(settings: Settings, source: str) -> Path:
    return settings.ccp_home / "exports" / source


class ExportLog:
    """An append-only JSONL file plus the set of keys it already holds."""

    def __init__(self, path: Path):
        self.path = path
        self.keys_path = path.with_suffix(".keys")
        self._seen: set[str] | None = None

    def seen(self) -> set[str]:
        if self._seen is None:
            self._seen = set(self.keys_path.read_text("utf-8").splitlines()) if self.keys_path.exists() else set()
        return self._seen

    def append(self, records: Iterable[dict]) -> int:
        """Append records whose `export_key` is new; returns how many were written.

        Holds an exclusive lock on the log while it re-reads the keys and writes, so a sensor tick and a
        run exporting at the same moment cannot both append the same record.
        """
        records = list(records)
        if not records:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._seen = None
                seen = self.seen()
                new = [r for r in records if r["export_key"] not in seen]
                if not new:
                    return 0
                with open(self.path, "ab") as f:
                    f.write(b"".join(_dumps(r).encode("utf-8") + b"\n" for r in new))
                    f.flush()
                    os.fsync(f.fileno())
                with open(self.keys_path, "a", encoding="utf-8") as f:
                    f.write("".join(r["export_key"] + "\n" for r in new))
                seen.update(r["export_key"] for r in new)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return len(new)

    def files(self) -> list[Path]:
        return [self.path.resolve()] if self.path.exists() else []


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def local_noon(day: str, tz: str) -> str | None:
    """ISO time of noon of a calendar day in CCP_TIMEZONE: a day label's event time that stays on its day."""
    try:
        return datetime.combine(date.fromisoformat(day[:10]), time(12), ZoneInfo(tz)).isoformat()
    except (ValueError, KeyError, TypeError):
        return None


def export_documents(log: ExportLog, files: Iterable[tuple[Path, str]],
                     event_ts: Callable[[object, Path, float], str | None]) -> int:
    """One line per new version (path + content hash) of each whole-JSON document file.

    `files` gives (path, doc_kind). A document that is not valid JSON is exported with `error` and an
    excerpt so the normalizer can quarantine it under its original path; it is never skipped silently.
    """
    records = []
    seen = log.seen()
    for path, kind in files:
        try:
            data = path.read_bytes()
            st = path.stat()
        except OSError:
            continue
        sha1 = hashlib.sha1(data).hexdigest()
        key = f"{path}|{sha1}"
        if key in seen:
            continue
        rec: dict = {EXPORT_MARK: "document", "doc_kind": kind, "export_key": key, "source_file": str(path),
                     "sha1": sha1, "mtime": iso_utc(st.st_mtime)}
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            rec["error"] = (f"not UTF-8: {e.reason}" if isinstance(e, UnicodeDecodeError)
                            else f"invalid JSON: {getattr(e, 'msg', str(e))} at line {getattr(e, 'lineno', '?')}")
            rec["excerpt"] = data[:160].decode("utf-8", "replace")
            rec["ts"] = iso_utc(st.st_mtime)
        else:
            rec["doc"] = doc
            rec["ts"] = event_ts(doc, path, st.st_mtime) or iso_utc(st.st_mtime)
        records.append(rec)
    return log.append(records)


def glob_files(root: Path | None, patterns: Iterable[str], skip_dirs: tuple[str, ...] = ()) -> list[Path]:
    """Sorted, resolved, de-duplicated files under root matching any pattern (skipping some folder names)."""
    if root is None or not root.is_dir():
        return []
    found: set[Path] = set()
    for pattern in patterns:
        for p in root.glob(pattern):
            if p.is_file() and not (skip_dirs and any(part in skip_dirs for part in p.relative_to(root).parts)):
                found.add(p.resolve())
    return sorted(found)
