"""Two landing implementations, row for row, on the same inputs (a script, not a test).

usage: landing_compare.py OLD_TREE [--copies N] [--demo-scale K]
  OLD_TREE: a checkout holding the other `ccp_assets` (e.g. `git archive main ccp_assets | tar -x -C /tmp/old`).

Lands, with each implementation into its own CCP_HOME, (1) a corpus of warts — blank and whitespace lines,
CRLF, invalid JSON, non-objects, glued objects, bytes that are not UTF-8, timeless lines at the start, middle
and end of files, files with no time at all, unterminated complete / incomplete / blank tails, empty files, a
glob character in a name, Claude Code, CCP proxy and AgentOS inputs — then (2) the same after appends (a held
tail completed, new lines), a file replaced (new inode) and one truncated; and, with --copies N, (3) N
replicated copies of the fixture transcripts (bench/replicate.py) and, with --demo-scale K, (4) `ccp demo-data`
(every source). After each landing every landed row,
quarantine row and ledger row is compared (bench/landing_diff.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = REPO / ".venv" / "bin" / "python"
sys.path.insert(0, str(HERE))
from replicate import replicate  # noqa: E402

TS = "2026-03-0{d}T1{h}:00:00.000Z"


def line(d: int, h: int, **extra: object) -> bytes:
    return json.dumps({"type": "user", "timestamp": TS.format(d=d, h=h), **extra}).encode()


def make_warts(root: Path) -> dict[str, Path]:
    """Step 1 of the warts corpus; returns the env dirs."""
    claude, proxy, agentos = root / "claude" / "projects" / "p", root / "proxy", root / "agentos"
    for d in (claude, proxy, agentos):
        d.mkdir(parents=True, exist_ok=True)
    summary = json.dumps({"type": "summary", "summary": "s"}).encode()
    (claude / "mixed.jsonl").write_bytes(b"\n".join([
        summary, line(1, 1), b"", b"   ", b"\t", line(1, 2, uuid="a"), b"not json", b"[1, 2]", b"42", b'"str"',
        summary, line(2, 3) + b"\r", b'{"type":"user","message":"caf\xe9"}', summary,
    ]) + b"\n")
    (claude / "timeless.jsonl").write_bytes(summary + b"\n" + summary + b"\n")
    (claude / "tail_held.jsonl").write_bytes(line(1, 4) + b"\n" + line(1, 5)[:20])
    (claude / "tail_done.jsonl").write_bytes(line(1, 4) + b"\n" + line(1, 6))
    (claude / "tail_blank.jsonl").write_bytes(line(1, 4) + b"\n   ")
    (claude / "empty.jsonl").write_bytes(b"")
    (claude / "only_newlines.jsonl").write_bytes(b"\n\n\n")
    (claude / "glob[1].jsonl").write_bytes(line(3, 1) + b"\n" + line(3, 2) + b"\n")
    (claude / "bad_utf8.jsonl").write_bytes(line(1, 1) + b"\n\xff\xfe\n" + line(1, 2) + b"\n" + line(1, 3)[:9])
    (claude / "replace.jsonl").write_bytes(b"".join(line(4, h, k=h) + b"\n" for h in range(5)))
    (claude / "shrink.jsonl").write_bytes(b"".join(line(5, h, k=h) + b"\n" for h in range(6)))
    (claude / "grow.jsonl").write_bytes(b"".join(line(6, h) + b"\n" for h in range(3)))
    big = b"".join(line(7, h % 10, n=n, pad="x" * (n % 300)) + b"\n" for n, h in enumerate(range(20000)))
    (claude / "big.jsonl").write_bytes(big)
    usage = [b'{"ts": 1772400000, "rid": "r1"}{"ts": 1772400060000, "rid": "r2"}{}',
             b'{"ts": "2026-03-02T10:00:00Z", "rid": "r3"}', b'{"rid": "r4"}', b'{"ts": 1772400000}{broken',
             b'  {"ts": 1772400100, "rid": "r5"}  ']
    (proxy / "usage.jsonl").write_bytes(b"\n".join(usage) + b"\n")
    (agentos / "windows.jsonl").write_bytes(b'{"finalized_at": "2026-03-01T12:00:00Z", "w": 1}\n{"w": 2}\n')
    return {"CLAUDE_CONFIG_DIR": root / "claude", "CCP_USAGE_LOG_DIR": proxy, "CCP_AGENTOS_DATA_DIR": agentos}


def mutate_warts(root: Path) -> None:
    """Step 2: appends (a held tail completed), a replaced file (new inode), a truncated one."""
    claude = root / "claude" / "projects" / "p"
    held = claude / "tail_held.jsonl"
    with open(held, "ab") as f:
        f.write(line(1, 5)[20:] + b"\n" + b"{}\n" + line(1, 7))
    with open(claude / "grow.jsonl", "ab") as f:
        f.write(b"\n" + line(6, 5) + b"\n" + json.dumps({"type": "summary"}).encode() + b"\n\xc3\x28\n")
    with open(claude / "bad_utf8.jsonl", "ab") as f:
        f.write(line(1, 3)[9:] + b"\n")
    rep = claude / "replace.jsonl"
    tmp = rep.with_suffix(".tmp")
    tmp.write_bytes(rep.read_bytes() + line(4, 9, k=9) + b"\n")
    tmp.replace(rep)
    shrink = claude / "shrink.jsonl"
    shrink.write_bytes(b"".join(line(5, h, k=h) + b"\n" for h in (0, 1, 7)))
    with open(root / "proxy" / "usage.jsonl", "ab") as f:
        f.write(b'{"ts": 1772500000, "rid": "r6"}{"ts": 1772500001, "rid": "r7"}\n[]\n')


def land_both(old: Path, env: dict[str, str], tmp: Path, tag: str, again: bool) -> bool:
    dumps = []
    for name, tree in (("new", REPO), ("old", old)):
        home, dump = tmp / f"home-{name}", tmp / f"{tag}-{name}.parquet"
        cmd = [str(PY), str(HERE / "landing.py"), str(home), "--dump", str(dump)] + (["--again"] if again else [])
        r = subprocess.run(cmd, env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
        print(f"[{tag}] {name}: {r.stderr.strip()}")
        if r.returncode:
            raise SystemExit(r.stdout + r.stderr)
        dumps.append(str(dump))
    return subprocess.run([str(PY), str(HERE / "landing_diff.py"), *dumps]).returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old", type=Path)
    ap.add_argument("--copies", type=int, default=0)
    ap.add_argument("--demo-scale", type=int, default=0, help="also `ccp demo-data --scale K --days 7` (every source)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="landing-compare-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CCP_", "CLAUDE_CONFIG_DIR"))}
    base.update({"CCP_TIMEZONE": "UTC", "HOME": str(tmp), "PYTHONHASHSEED": "0"})  # exports in one order
    dirs = make_warts(tmp / "warts")
    env = {**base, **{k: str(v) for k, v in dirs.items()}}
    ok = land_both(args.old, env, tmp, "warts-1", again=False)
    mutate_warts(tmp / "warts")
    ok &= land_both(args.old, env, tmp, "warts-2", again=True)
    if args.copies:
        corpus = tmp / "copies"
        mb = replicate(REPO / "tests" / "fixtures" / "claude-code", corpus, args.copies) / 1e6
        print(f"copies: {mb:.0f} MB")
        ok &= land_both(args.old, {**base, "CLAUDE_CONFIG_DIR": str(corpus)}, tmp, "copies", again=False)
    if args.demo_scale:
        demo = tmp / "demo"
        subprocess.run([str(REPO / ".venv" / "bin" / "ccp"), "demo-data", "--out", str(demo), "--days", "7",
                        "--scale", str(args.demo_scale), "--end", "2026-11-20"], check=True, stdout=subprocess.DEVNULL)
        ok &= land_both(args.old, {**base, "CLAUDE_CONFIG_DIR": str(demo / "claude"), "CCP_USAGE_LOG_DIR": str(demo / "ccp"),
                                   "CCP_AGENTOS_DATA_DIR": str(demo / "agentos"), "CCP_REPO_DIR": str(demo / "repo")},
                        tmp, "demo", again=False)
    shutil.rmtree(tmp)
    print("identical" if ok else "DIFFERENT")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
