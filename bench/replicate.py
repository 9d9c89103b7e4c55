"""Make a benchmark corpus by replicating the real fixture transcripts: new ids, shifted days.

    .venv/bin/python bench/replicate.py OUT --size-mb 376    # ≈ 100 copies of the 3.7 MB fixture
    .venv/bin/python bench/replicate.py OUT --copies 1000    # ≈ 3.7 GB

OUT becomes a CLAUDE_CONFIG_DIR (OUT/projects/...). Copy k moves every timestamp k mod 60 days later and
gives every message, request, session and line id a `c{k}` prefix, so ccusage and `ccp` count each copy
as new usage (nothing deduplicated away) spread over two months.
"""

from __future__ import annotations

import argparse
import math
import re
from datetime import date, timedelta
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "claude-code"
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="the CLAUDE_CONFIG_DIR to write (its projects/ must not exist yet)")
    size = ap.add_mutually_exclusive_group(required=True)
    size.add_argument("--copies", type=int, help="copies of the fixture transcripts")
    size.add_argument("--size-mb", type=float, help="about this many MB (10^6 bytes) of transcripts")
    args = ap.parse_args()
    if (args.out / "projects").exists():
        raise SystemExit(f"{args.out / 'projects'} exists: pick an empty folder (copies would mix with it)")
    one = sum(p.stat().st_size for p in (FIXTURE / "projects").rglob("*.jsonl"))
    copies = args.copies if args.copies is not None else max(1, math.ceil(args.size_mb * 1e6 / one))
    written = replicate(FIXTURE, args.out, copies)
    print(f"{args.out}: {copies} copies, {written / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
