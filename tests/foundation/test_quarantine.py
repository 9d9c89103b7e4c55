"""Bad input gets a clear reason in quarantine and never stops the partition."""

from __future__ import annotations

import json
import re

from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION
from tests.helpers import materialize_all, query

SHORT = next((CLAUDE_FIXTURE / "projects").glob("*/short.jsonl"))
MAIN = next((CLAUDE_FIXTURE / "projects").glob(f"*/{MAIN_SESSION}.jsonl"))


def test_truncated_garbage_non_utf8_and_unknown_type_lines_are_quarantined(ccp_env):
    """A few bad lines in a real day: quarantined with reasons, and the day still goes through (a share
    of bad lines this small is not drift)."""
    lines = MAIN.read_bytes().splitlines(keepends=True)
    ts = json.loads(lines[3])["timestamp"]
    unknown = json.dumps({"type": "hologram", "timestamp": ts, "sessionId": "s"}).encode() + b"\n"
    broken = (lines[:4] + [b"this is not json at all\n", b'{"type":"user","message":"caf\xe9"}\n', unknown]
              + lines[4:] + [lines[5][: len(lines[5]) // 2]])  # the last line stops mid-object
    (ccp_env.projects() / "broken.jsonl").write_bytes(b"".join(broken))
    outcome = materialize_all()
    assert outcome is not None and outcome.success
    rows = {kind: (reason, state, line_no) for kind, reason, state, line_no in
            query("SELECT kind, reason, state, line_no FROM quarantine")}
    assert rows["invalid_json"][0].startswith("invalid JSON:") and rows["invalid_json"][2] == 5
    assert "0xe9" in rows["not_utf-8"][0] and rows["not_utf-8"][2] == 6
    assert "hologram" in rows["unknown_type"][0]
    assert rows["truncated"][1] == "held"
    # the good lines still made turns, and the counts are asset metadata
    assert query("SELECT count(*), sum(tokens_out) FROM turns")[0] == (150, 28890)  # as from the clean file (main-only oracle)
    assert outcome.materialized["raw_claude_code"]["metadata"]["quarantined_lines"] == 2


def test_glued_objects_land_as_separate_lines(ccp_env):
    lines = SHORT.read_text().splitlines()
    glued = lines[3] + lines[4] + "{}"
    (ccp_env.projects() / "glued.jsonl").write_text("\n".join(lines[:3] + [glued] + lines[5:]) + "\n")
    materialize_all()
    assert query("SELECT count(*) FROM quarantine WHERE state = 'rejected'")[0][0] == 0
    assert query("SELECT sum(lines) FROM landing_batches")[0][0] == len(lines)
    parts = query("SELECT part FROM read_parquet(?) WHERE line_no = 4 ORDER BY part",
                  [[str(p) for p in (ccp_env.ccp_home / "landing").rglob("*.parquet")]])
    assert parts == [(0,), (1,)]


def test_a_number_arriving_as_a_string_is_not_coerced(ccp_env):
    text = re.sub(r'"output_tokens":(\d+)', r'"output_tokens":"\1"', SHORT.read_text())
    (ccp_env.projects() / "drift.jsonl").write_text(text)
    materialize_all()
    drift = query("SELECT type_drift, tokens_out FROM turns")
    assert drift == [(["message.usage.output_tokens:VARCHAR"], None)]
