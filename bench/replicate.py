"""Make a benchmark corpus by replicating the real fixture transcripts: new ids, shifted days."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

TS = re.compile(rb'"timestamp":"(\d{4}-\d{2}-\d{2})')
IDS = [(b'"id":"msg_', b'"id":"msg_c{k}_'), (b'"requestId":"req_', b'"requestId":"req_c{k}_'),
       (b'"sessionId":"', b'"sessionId":"c{k}-'), (b'"uuid":"', b'"uuid":"c{k}-')]


def replicate(fixture_claude: Path, out_claude: Path, copies: int) -> int:
    """Write `copies` shifted copies of every transcript; returns bytes written."""
    files = sorted((fixture_claude / "projects").rglob("*.jsonl"))
    blobs = {f: f.read_bytes() for f in files}
    written = 0
    for k in range(copies):
        shift = timedelta(days=k % 60)

        def move(m: re.Match[bytes], shift: timedelta = shift) -> bytes:
            return b'"timestamp":"' + (date.fromisoformat(m.group(1).decode()) + shift).isoformat().encode()

        for f, blob in blobs.items():
            rel = f.relative_to(fixture_claude / "projects")
            data = TS.sub(move, blob)
            for old, new in IDS:
                data = data.replace(old, new.replace(b"{k}", str(k).encode()))
            parts = list(rel.parts)
            parts[0] = f"{parts[0]}-c{k}"
            dst = out_claude / "projects" / Path(*parts)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
            written += len(data)
    return written
