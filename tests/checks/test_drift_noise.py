"""Drift versus noise: one odd line in a real day is reported and the day passes; a field renamed on most lines
still blocks the day (issue 13: one null `request_id` in a real transcript blocked a day whose numbers were right).

The day is the real fixture session of 2026-02-12 (152 API responses), after a clean 2026-02-10 has taught the
checks that `request_id` is never null.
"""

from __future__ import annotations

import json
import shutil

from ccp_assets.checks.drift import noise_allowance
from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION, load_oracle
from tests.helpers import materialize_all, report, token_rows

PROJECT = next((CLAUDE_FIXTURE / "projects").glob("*/"))
MAIN = PROJECT / f"{MAIN_SESSION}.jsonl"
DAY = "2026-02-12"


def _clean_history(ccp_env):
    proj = ccp_env.projects()
    for f in ("short.jsonl", "tool_heavy.jsonl"):  # 2026-02-10, clean
        shutil.copy(PROJECT / f, proj / f)
    first = materialize_all()
    assert first is not None and first.success
    return proj


def _turns_check(outcome, day: str) -> dict:
    [check] = [c for c in outcome.checks if c["asset"] == "normalized_claude_code" and c["check"] == "turns_suite"
               and c["partition"] == day]
    return check


def test_noise_allowance_is_a_few_rows_and_always_a_minority():
    # by hand: max(1, 1% of rows), capped at (rows - 1) // 2
    assert [noise_allowance(n) for n in (1, 2, 3, 152, 1000, 5000)] == [0, 0, 1, 1, 10, 50]


def test_one_odd_line_passes_and_is_reported_with_its_file_and_offset(ccp_env):
    proj = _clean_history(ccp_env)
    raw = MAIN.read_bytes().splitlines(keepends=True)
    ids = [json.loads(x)["message"]["id"] for x in raw if json.loads(x).get("type") == "assistant"]
    # a response written on a single line (so its dedup key stays unique) loses its requestId (ccusage
    # 20.0.24 still counts it, keyed by its timestamp; a `"requestId": null` it skips, and so do we)
    k = next(i for i, x in enumerate(raw) if json.loads(x).get("type") == "assistant"
             and ids.count(json.loads(x)["message"]["id"]) == 1)
    odd = json.loads(raw[k])
    del odd["requestId"]
    raw[k] = (json.dumps(odd, separators=(",", ":")) + "\n").encode()
    target = proj / MAIN.name
    target.write_bytes(b"".join(raw))
    offset = sum(len(x) for x in raw[:k])

    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome.failures
    check = _turns_check(outcome, DAY)
    assert check["passed"], check["metadata"]["summary"]
    [line] = check["metadata"]["odd_lines"]
    assert line["day"] == DAY and line["column"] == "request_id" and line["value"] is None
    assert line["file"] == str(target) and line["byte_offset"] == offset and line["line_no"] == k + 1
    # the day is measured, and its numbers are still ccusage's
    assert (ccp_env.ccp_home / "rollups" / DAY / "metrics_summary.json").exists()
    want = {key: v for key, v in token_rows(load_oracle("ccusage-daily-utc-4d5611e5-main-only.json")).items()
            if key[0] == DAY}
    got = {key: v for key, v in token_rows(report()).items() if key[0] == DAY}
    assert got == want


def test_a_field_renamed_on_most_lines_still_blocks_the_day(ccp_env):
    proj = _clean_history(ccp_env)
    lines = MAIN.read_text().splitlines()
    # a client release renames requestId; one line in ten still has the old name
    renamed = [x if i % 10 == 0 else x.replace('"requestId":', '"request_id_v2":') for i, x in enumerate(lines)]
    (proj / MAIN.name).write_text("\n".join(renamed) + "\n")

    outcome = materialize_all()
    assert outcome is not None
    check = _turns_check(outcome, DAY)
    assert not check["passed"]
    assert "column request_id is null" in check["metadata"]["summary"]
    assert check["metadata"]["odd_lines"] == []
    assert not (ccp_env.ccp_home / "rollups" / DAY / "metrics_summary.json").exists()
