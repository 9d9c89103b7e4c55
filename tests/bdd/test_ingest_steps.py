"""Steps of features/ingest.feature and features/quarantine.feature."""

from __future__ import annotations

import json
import shutil

from pytest_bdd import given, scenarios, then, when

from tests.bdd.conftest import MAIN, oracle_rows, report_rows
from tests.helpers import query

scenarios("ingest.feature", "quarantine.feature")


@given("a transcript cut in the middle of a line")
def cut_transcript(ccp_env, world) -> None:
    full = MAIN.read_bytes()
    cut = full.index(b"\n", len(full) // 2) + 41
    dst = ccp_env.projects() / MAIN.name
    dst.write_bytes(full[:cut])
    world.update(full=full, cut=cut, dst=dst)


@when("the rest of the transcript is appended")
def append_rest(world) -> None:
    with open(world["dst"], "ab") as f:
        f.write(world["full"][world["cut"]:])


@then("every line of the transcript is landed exactly once")
def landed_once(world) -> None:
    assert query("SELECT sum(lines) FROM landing_batches")[0][0] == world["full"].count(b"\n")
    assert report_rows() == oracle_rows("ccusage-daily-utc-4d5611e5-main-only.json")


@when("the source transcripts are deleted")
def delete_sources(ccp_env) -> None:
    shutil.rmtree(ccp_env.claude)


@then("the daily report still equals ccusage's main-session report")
def still_equal() -> None:
    assert report_rows() == oracle_rows("ccusage-daily-utc-4d5611e5-main-only.json")


@given("a real transcript with a garbage line, a non-UTF-8 line, a line of unknown type and an unfinished last line")
def broken_transcript(ccp_env) -> None:
    lines = MAIN.read_bytes().splitlines(keepends=True)
    ts = json.loads(lines[3])["timestamp"]
    unknown = json.dumps({"type": "hologram", "timestamp": ts, "sessionId": "s"}).encode() + b"\n"
    bad = [b"{not json\n", b'{"type":"user","x":"\xff"}\n', unknown]
    (ccp_env.projects() / "broken.jsonl").write_bytes(b"".join(lines[:4] + bad + lines[4:] + [lines[5][:50]]))


@then('the quarantine names "invalid JSON", "not UTF-8", "unknown line type" and "held" lines with their line numbers')
def quarantine_named() -> None:
    rows = query("SELECT reason, state, line_no FROM quarantine ORDER BY line_no")
    reasons = " | ".join(r[0] for r in rows)
    for needle in ("invalid JSON", "not UTF-8", "unknown line type"):
        assert needle in reasons, reasons
    assert [r[2] for r in rows][:3] == [5, 6, 7]
    assert any(state == "held" for _, state, _ in rows)
