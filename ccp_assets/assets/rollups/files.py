"""How rollups are written: atomically, byte-stable (where they live: reports/rollup_paths.py)."""


import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ccp_assets.reports.rollup_paths import daily_summary_path, weekly_summary_path

__all__ = ["daily_summary_path", "upsert_progress_sections", "weekly_summary_path", "write_atomic", "write_json"]

SECTION = re.compile(r"^## (\d{4}-\d{2}-\d{2})\s*$", re.M)
HEADER = "# Progress log\n\nOne section per day, newest last. Written by ccp-assets; rewritten idempotently.\n"


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
