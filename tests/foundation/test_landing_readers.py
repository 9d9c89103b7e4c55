"""Landing through DuckDB's reader and through Python's block reader gives every line its exact byte offset
and number: whole files, a file that is not UTF-8 among good ones, a glob character in a name, files bigger
than a flush, appended tails. Expected rows are computed here by a plain line-by-line read of the bytes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ccp_assets.settings import load_settings
from ccp_assets.sources import landing_lines
from ccp_assets.sources.claude_code.adapter import ClaudeCodeSource
from ccp_assets.sources.landing import LandingResult, day_files, land, landed_days
from ccp_assets.warehouse.resource import warehouse_for
from tests.helpers import query


def _land() -> LandingResult:
    settings = load_settings()
    with warehouse_for(settings.warehouse_path).connect() as conn:
        return land(conn, ClaudeCodeSource(), settings)


def _landed() -> list[tuple]:
    settings = load_settings()
    files = day_files(settings, "claude_code", landed_days(settings, "claude_code"))
    return query("SELECT file, byte_offset, line_no, line FROM read_parquet(?) WHERE part = 0 ORDER BY ALL", [files])


def _expected(path: Path) -> tuple[list[tuple], list[tuple]]:
    """(landed rows, rejected rows with their kind) of a file's terminated lines, read one line at a time."""
    rows, bad, offset = [], [], 0
    for number, raw in enumerate(path.read_bytes().split(b"\n")[:-1], start=1):
        if raw.strip(b" \t\r\x0b\x0c"):
            try:
                text = raw.decode("utf-8")
                json.loads(text)
                rows.append((str(path), offset, number, text))
            except UnicodeDecodeError:
                bad.append((str(path), offset, number, "not_utf-8"))
            except ValueError:
                bad.append((str(path), offset, number, "invalid_json"))
        offset += len(raw) + 1
    return rows, bad


def _transcript(rng: random.Random, n: int) -> bytes:
    """n lines: events, timeless summaries, blank lines, CRLF endings and multi-byte text."""
    out = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.08:
            out.append(rng.choice([b"", b"  ", b"\t"]))
            continue
        rec: dict = {"type": "summary"} if kind < 0.15 else {
            "type": "user", "timestamp": f"2026-03-0{1 + i % 3}T10:{i % 60:02d}:00Z", "i": i}
        rec["text"] = "é€😀x" * rng.randrange(0, 40)
        out.append(json.dumps(rec, ensure_ascii=False).encode() + (b"\r" if kind > 0.9 else b""))
    return b"\n".join(out) + b"\n"


def test_whole_files_a_non_utf8_one_and_a_glob_name_land_line_for_line(ccp_env):
    rng = random.Random(16)
    files = [ccp_env.projects() / f"s{k}.jsonl" for k in range(5)] + [ccp_env.projects() / "odd[1]*.jsonl"]
    for f in files:
        f.write_bytes(_transcript(rng, 300))
    with open(files[2], "ab") as out:  # malformed but starting like an object: the time read fails on it
        out.write(b'{"type":"user","timestamp":"2026-03-01T11:00:00Z"\n' + _transcript(rng, 10))
    bad = ccp_env.projects() / "latin1.jsonl"  # DuckDB's reader refuses this file: it is read line by line
    bad.write_bytes(_transcript(rng, 50) + b'{"type":"user","timestamp":"2026-03-01T10:00:00Z","t":"caf\xe9"}\n'
                    + _transcript(rng, 50))
    result = _land()
    expected, rejected = [], []
    for f in [*files, bad]:
        rows, not_utf8 = _expected(f)
        expected += rows
        rejected += not_utf8
    assert _landed() == sorted(expected)
    assert [(r[0], r[2], r[3]) for r in rejected] == [(str(files[2]), 301, "invalid_json"), (str(bad), 51, "not_utf-8")]
    assert query("SELECT file, byte_offset, line_no, kind FROM quarantine ORDER BY kind") == rejected
    assert result.bytes_read == sum(f.stat().st_size for f in [*files, bad])


def test_files_bigger_than_a_flush_are_read_in_blocks(ccp_env, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(landing_lines, "READ_BLOCK", 4096)
    monkeypatch.setattr(landing_lines, "FLUSH_BYTES", 20_000)
    monkeypatch.setattr(landing_lines, "WHOLE_FILE_MAX", 20_000)
    rng = random.Random(7)
    big, small = ccp_env.projects() / "big.jsonl", ccp_env.projects() / "small.jsonl"
    big.write_bytes(_transcript(rng, 800))
    small.write_bytes(_transcript(rng, 20))
    assert big.stat().st_size > 5 * 20_000 and small.stat().st_size < 20_000
    _land()
    assert _landed() == sorted(_expected(big)[0] + _expected(small)[0])
    flushes = {p.name.split("_")[1] for p in (ccp_env.ccp_home / "landing").rglob("*.parquet")}
    assert len(flushes) > 5  # memory stayed bounded: many flushes, not one


def test_an_appended_tail_is_read_from_the_ledger_offset(ccp_env):
    rng = random.Random(3)
    f = ccp_env.projects() / "grow.jsonl"
    first = _transcript(rng, 200)
    f.write_bytes(first + b'{"type":"user","timestamp":"2026-03-0')  # the writer is mid-line
    one = _land()
    assert one.held == 1 and one.bytes_read == len(first)
    rest = b'2T09:00:00Z"}\n' + _transcript(rng, 100)
    with open(f, "ab") as out:
        out.write(rest)
    two = _land()
    assert two.bytes_read == f.stat().st_size - len(first)  # only bytes not landed before
    assert _landed() == sorted(_expected(f)[0])
    assert query("SELECT count(*) FROM quarantine WHERE state = 'held'") == [(0,)]
