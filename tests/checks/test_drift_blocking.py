"""Drifted inputs fail the right blocking check, with a report naming the drift; other days go on."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable

import pytest

from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION
from tests.helpers import materialize_all, query

PROJECT = next((CLAUDE_FIXTURE / "projects").glob("*/"))
MAIN = PROJECT / f"{MAIN_SESSION}.jsonl"  # all of it on 2026-02-12


def _rename_usage_field(text: str) -> str:
    return text.replace('"output_tokens":', '"outputTokens":')


def _tokens_as_strings(text: str) -> str:
    return re.sub(r'"input_tokens":(\d+)', r'"input_tokens":"\1"', text)


def _new_enum_value(text: str) -> str:
    return text.replace('"service_tier":"standard"', '"service_tier":"turbo"')


def _removed_field(text: str) -> str:
    return re.sub(r'"requestId":"[^"]*",?', "", text)


def _empty_day(text: str) -> str:
    return text.replace('"usage":{', '"usage_v2":{')


def _garbage_lines(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(line if i % 8 else "{garbage" for i, line in enumerate(lines)) + "\n"


CASES: list[tuple[str, Callable[[str], str], set[str], str]] = [
    ("renamed usage field", _rename_usage_field, {"turns_suite"}, "message.usage.output_tokens:missing"),
    ("tokens as strings", _tokens_as_strings, {"turns_suite"}, "message.usage.input_tokens:VARCHAR"),
    ("new enum value", _new_enum_value, {"turns_suite"}, "service_tier has values outside its set: turbo"),
    ("removed field", _removed_field, {"turns_suite"}, "column request_id is null"),
    ("empty day that should not be empty", _empty_day, {"turns_suite", "sessions_suite"}, "no rows although the source landed"),
    ("quarantine share jumps", _garbage_lines, {"turns_suite", "sessions_suite"}, "lines quarantined"),
]


@pytest.mark.parametrize(("name", "drift", "checks", "says"), CASES, ids=[c[0] for c in CASES])
def test_drift_fails_the_right_check_and_blocks_only_its_day(ccp_env, name, drift, checks, says):
    proj = ccp_env.projects()
    for f in ("short.jsonl", "tool_heavy.jsonl"):  # 2026-02-10, clean
        shutil.copy(PROJECT / f, proj / f)
    assert materialize_all() is not None  # a clean history first: 2026-02-10 passes
    (proj / MAIN.name).write_text(drift(MAIN.read_text()))  # 2026-02-12, drifted
    outcome = materialize_all()
    assert outcome is not None
    failed = [c for c in outcome.checks if not c["passed"] and c["partition"]]
    assert {c["check"] for c in failed} == checks and {c["partition"] for c in failed} == {"2026-02-12"}, failed
    turns = next(c for c in failed if c["check"] == "turns_suite")
    summary = turns["metadata"]["summary"]
    assert says in summary, summary
    assert MAIN.name in summary and "version 2.1.39" in summary or "lines quarantined" in summary
    report = turns["metadata"]["drift_report"][0]
    assert report["last_passing_day"] == "2026-02-10" and report["failures"]
    rollups = ccp_env.ccp_home / "rollups"
    assert (rollups / "2026-02-10" / "metrics_summary.json").exists()
    assert not (rollups / "2026-02-12" / "metrics_summary.json").exists()
    assert query("SELECT count(*) FROM cost_daily WHERE day = '2026-02-12'")[0][0] == 0
    assert "## 2026-02-12" not in (rollups / "progress.log.md").read_text()
    # a later run that only asks for the rollup still refuses the drifted day
    later = materialize_all(start="2026-02-12", end="2026-02-12")
    assert later is not None
    assert not (rollups / "2026-02-12" / "metrics_summary.json").exists()


def test_clean_partitions_pass_every_check(reads_claude_run):
    outcome = reads_claude_run.outcome  # the shared run of the whole clean fixture (tests/conftest.py)
    assert outcome is not None and outcome.success
    per_day = [c for c in outcome.checks if c["partition"]]
    assert per_day and all(c["passed"] for c in per_day)
    stored = query("SELECT DISTINCT CAST(day AS VARCHAR), passed FROM check_results WHERE source = 'claude_code' "
                   "ORDER BY 1")
    assert stored == [("2026-02-10", True), ("2026-02-11", True), ("2026-02-12", True)]
    report = json.loads(query("SELECT report FROM check_results WHERE day = '2026-02-12' AND suite = 'turns' "
                              "AND source = 'claude_code'")[0][0])
    assert report["stats"]["rows"] == 152 and report["stats"]["quarantine_share"] == 0.0
