"""Where rollups live on disk (INTERFACES.md) and how they are written: atomically, byte-stable."""


import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

SECTION = re.compile(r"^## (\d{4}-\d{2}-\d{2})\s*$", re.M)
HEADER = "# Progress log\n\nOne section per day, newest last. Written by ccp-assets; rewritten idempotently.\n"


def daily_summary_path(rollups_dir: Path, day: str) -> Path:
    return rollups_dir / day / "metrics_summary.json"


def weekly_summary_path(rollups_dir: Path, day: str) -> Path:
    y, w, _ = date.fromisoformat(day).isocalendar()
    return rollups_dir / "weekly" / f"{y}-W{w:02d}" / "metrics_summary.json"


def write_atomic(path: Path, text: str) -> bool:
    """Write only when the content changes (so a re-run changes no file); True when written."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def write_json(path: Path, payload: dict[str, Any]) -> bool:
    return write_atomic(path, json.dumps(payload, indent=2, sort_keys=True) + "\n")


def upsert_progress_sections(log_path: Path, sections: dict[str, str]) -> bool:
    """Replace (or add) the `## YYYY-MM-DD` sections given, keep the others, order by day."""
    existing: dict[str, str] = {}
    if log_path.exists():
        text = log_path.read_text()
        marks = list(SECTION.finditer(text))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            existing[m.group(1)] = text[m.start():end].strip() + "\n"
    existing.update({d: s.strip() + "\n" for d, s in sections.items()})
    body = "\n".join(existing[d] for d in sorted(existing))
    return write_atomic(log_path, HEADER + "\n" + body)
