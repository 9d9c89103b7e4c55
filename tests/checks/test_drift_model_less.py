"""Model-less usage lines against the drift suite (issue 13): ccusage 20.0.24 counts a usage line without a model
(in the day total, no model row; `"model": null` it skips), so such lines must not block a real day; a client line
that names its `version` and has no model is a renamed or dropped field, and still blocks its day.

The real fixture days: 2026-02-10 (short, subagent, tool_heavy) first, so the checks learn the history; then the real
session of 2026-02-12 (4d5611e5 and its subagents) next to three old-schema lines of the same day (no `type`, no
`version`, no model, a `costUSD`: ccusage's own 'old schema' test lines), and on 2026-02-11 three lines of a client
(version 2.1.39) whose assistant lines carry no model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION, load_oracle
from tests.helpers import materialize_all, report
from tests.sources.test_ccusage_cases import CCUSAGE

PROJECT = next((CLAUDE_FIXTURE / "projects").glob("*/"))
OLD = [("2026-02-12T08:00:00Z", 100, 50, 0.01), ("2026-02-12T09:00:00Z", 200, 100, 0.02),
       ("2026-02-12T10:00:00Z", 300, 150, 0.03)]


def _old_line(ts: str, i: int, o: int, usd: float) -> str:
    return json.dumps({"timestamp": ts, "message": {"usage": {"input_tokens": i, "output_tokens": o}}, "costUSD": usd},
                      separators=(",", ":"))  # compact, as Claude Code writes (ccusage reads only `"usage":{`)


def _versioned_without_model(k: int) -> str:
    return json.dumps({"type": "assistant", "timestamp": f"2026-02-11T1{k}:00:00Z", "version": "2.1.39",
                       "sessionId": "s-new", "cwd": "/w", "requestId": f"req_{k}", "uuid": f"u{k}",
                       "message": {"id": f"msg_{k}", "usage": {"input_tokens": 10, "output_tokens": 5}}},
                      separators=(",", ":"))


def _check(outcome, day: str) -> dict:
    [check] = [c for c in outcome.checks if c["asset"] == "normalized_claude_code" and c["check"] == "turns_suite"
               and c["partition"] == day]
    return check


def _day(rep: dict, day: str) -> dict:
    return next(d for d in rep["daily"] if d["period"] == day)


def _world(ccp_env):
    proj = ccp_env.claude / "projects" / PROJECT.name
    proj.mkdir(parents=True)
    for f in ("short.jsonl", "subagent.jsonl", "tool_heavy.jsonl"):  # 2026-02-10, clean: the history
        shutil.copy(PROJECT / f, proj / f)
    first = materialize_all()
    assert first is not None and first.success, first and first.failures
    shutil.copy(PROJECT / f"{MAIN_SESSION}.jsonl", proj / f"{MAIN_SESSION}.jsonl")
    shutil.copytree(PROJECT / MAIN_SESSION, proj / MAIN_SESSION)
    (proj / "legacy.jsonl").write_text("".join(_old_line(*x) + "\n" for x in OLD))
    (proj / "renamed.jsonl").write_text("".join(_versioned_without_model(k) + "\n" for k in range(3)))
    outcome = materialize_all()
    assert outcome is not None
    return outcome


def test_old_model_less_lines_pass_the_real_day_and_a_versioned_one_blocks(ccp_env):
    """One pair of runs for both halves (a run costs tens of seconds)."""
    outcome = _world(ccp_env)
    check = _check(outcome, "2026-02-12")
    assert check["passed"], check["metadata"]["summary"]
    assert check["metadata"]["odd_lines"] == []  # not tolerated as noise: they are no anomaly at all
    assert (ccp_env.ccp_home / "rollups" / "2026-02-12" / "metrics_summary.json").exists()
    # the day is ccusage's real day (saved answer) plus the three lines by hand, their cost their costUSD,
    # and no model row for them
    real = _day(load_oracle("ccusage-daily-utc.json"), "2026-02-12")
    got = _day(report(), "2026-02-12")
    assert (got["inputTokens"], got["outputTokens"]) == (real["inputTokens"] + 100 + 200 + 300,
                                                       real["outputTokens"] + 50 + 100 + 150)
    assert (got["cacheCreationTokens"], got["cacheReadTokens"]) == (real["cacheCreationTokens"], real["cacheReadTokens"])
    assert got["totalCost"] == pytest.approx(real["totalCost"] + 0.01 + 0.02 + 0.03, rel=0.01)
    assert {m["modelName"] for m in got["modelBreakdowns"]} == {m["modelName"] for m in real["modelBreakdowns"]}

    blocked = _check(outcome, "2026-02-11")  # a client that names its version and no model: drift
    assert not blocked["passed"]
    assert "column model is null in 3 rows" in blocked["metadata"]["summary"]
    if CCUSAGE.exists():  # the real ccusage 20.0.24 over the same tree, when installed
        _ccusage_agrees(ccp_env)


def _ccusage_agrees(ccp_env) -> None:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(ccp_env.claude)}
    out = json.loads(subprocess.run([str(CCUSAGE), "daily", "--json", "--offline", "--timezone", "UTC"], env=env,
                                    capture_output=True, text=True, timeout=120, check=True).stdout)
    want, got = _day(out, "2026-02-12"), _day(report(), "2026-02-12")
    keys = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
    assert {k: got[k] for k in keys} == {k: want[k] for k in keys}
    assert got["totalCost"] == pytest.approx(want["totalCost"], rel=0.01)
