"""Redaction speed on the real fixture transcripts: every string of every line (prompts, tool results,
paths, ids) through `Redactor.redact`, as the full tier and the message guards do. Prints strings,
characters, wall time, µs per string and MB/s (best of N passes; the first pass builds the redactor).

    .venv/bin/python bench/redact.py [--passes 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "claude-code"


def strings(value: object) -> list[str]:
    out: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return out


def corpus() -> list[str]:
    texts: list[str] = []
    for f in sorted(FIXTURE.rglob("*.jsonl")):
        for line in f.read_text().splitlines():
            if line.strip():
                texts += strings(json.loads(line))
    return texts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--repo", type=Path, default=REPO, help="the checkout whose ccp_assets to measure")
    args = ap.parse_args()
    sys.path.insert(0, str(args.repo))
    from ccp_assets.privacy.redact import Redactor

    t0 = time.perf_counter()
    redactor = Redactor.from_rules(include_login=False)
    build = time.perf_counter() - t0
    texts = corpus()
    chars = sum(map(len, texts))
    best = cpu = float("inf")
    dropped = 0
    for _ in range(args.passes):
        t0, c0 = time.perf_counter(), time.process_time()
        dropped = sum(redactor.redact(t).dropped for t in texts)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    print(f"{args.repo.name}: rules {len(redactor.rules)}, build {build * 1000:.0f} ms; {len(texts):,} strings, "
          f"{chars / 1e6:.2f} M chars; best of {args.passes}: {best:.2f} s wall, {cpu:.2f} s CPU, "
          f"{cpu / len(texts) * 1e6:.1f} us/string, {chars / cpu / 1e6:.1f} MB/s; dropped {dropped}")


if __name__ == "__main__":
    main()
