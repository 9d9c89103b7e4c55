"""ccusage's own test cases, restated as daily reports, through the real pipeline (Dagster run, DuckDB).

Each case is a small transcript tree under tests/sources/ccusage_cases/<case>/projects, ported from ccusage's
public repository (the TypeScript data-loader tests before the Rust port and the Rust crate's tests; facts
only). The expected report is worked out by hand below from list prices per million tokens; tokens must be
exact and cost within 1%. Where ccusage 20.0.24's real output differs from a ported expectation, 20.0.24
wins and the case says so. `test_ccusage_itself_gives_the_expected_report` runs the real ccusage 20.0.24
over the same files when it is installed (skips otherwise), so the expectations are ccusage's, not ours.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ccp_assets.reports.periods import period_report
from ccp_assets.reports.usage import Query
from ccp_assets.settings import load_settings
from ccp_assets.warehouse.readonly import open_read_only
from tests.conftest import REPO, CcpEnv
from tests.helpers import materialize_all, query, report

CASES_DIR = Path(__file__).parent / "ccusage_cases"
CCUSAGE = Path(os.environ.get("CCUSAGE_BIN", REPO / ".tools/ccusage/node_modules/.bin/ccusage"))  # `make oracle`
M = 1_000_000

# USD per million tokens: input, output, 5m cache write, 1h cache write, cache read (Anthropic list prices).
SONNET_4 = (3.0, 15.0, 3.75, 6.0, 0.3)
SONNET_4_LONG = (6.0, 22.5, 7.5, 12.0, 0.6)  # per token kind, only the tokens above 200k of that kind
OPUS_4_6 = (5.0, 25.0, 6.25, 10.0, 0.5)
OPUS_4 = (15.0, 75.0, 18.75, 30.0, 1.5)
S4 = "claude-sonnet-4-20250514"


def usd(p: tuple[float, ...], i: int = 0, o: int = 0, c5m: int = 0, c1h: int = 0, cr: int = 0) -> float:
    return (i * p[0] + o * p[1] + c5m * p[2] + c1h * p[3] + cr * p[4]) / M


@dataclass
class Day:
    tokens: tuple[int, int, int, int]  # input, output, cache creation, cache read
    cost: float
    models: dict[str, tuple[tuple[int, int, int, int], float]] = field(default_factory=dict)


EXPECTED: dict[str, dict[str, Day]] = {
    # TS loadDailyUsageData 'aggregates daily usage data correctly' + 'handles cache tokens': no `type`, no
    # model, costUSD only: counted in the day with its costUSD, no model row.
    "no_type": {"2024-01-01": Day((600, 300, 0, 0), 0.01 + 0.02 + 0.03),
                "2024-01-02": Day((100, 50, 25, 10), 0.01)},
    # TS 'should handle old schema with costUSD' + 'auto mode: uses costUSD when available, calculates otherwise'.
    "cost_usd": {"2024-01-15": Day((4000, 2000, 0, 0), 0.05 + 0.05 + usd(SONNET_4, 2000, 1000),
                                   {S4: ((3000, 1500, 0, 0), 0.05 + usd(SONNET_4, 2000, 1000))})},
    # TS 'handles invalid JSON lines gracefully' + 'skips data without required fields'.
    "skip_required": {"2024-01-01": Day((400, 200, 0, 0), 0.01 + 0.03)},
    # TS 'should separate fast and standard entries' + 'should apply fast multiplier' (x6 for Opus 4.6);
    # the last fast line carries costUSD 0.05, which is its cost.
    "fast_mode": {"2024-01-01": Day((3200, 1600, 0, 0), 2 * usd(OPUS_4_6, 1000, 500) + 6 * usd(OPUS_4_6, 1000, 500) + 0.05,
                                    {"claude-opus-4-6": ((2000, 1000, 0, 0), 2 * usd(OPUS_4_6, 1000, 500)),
                                     "claude-opus-4-6-fast": ((1200, 600, 0, 0), 6 * usd(OPUS_4_6, 1000, 500) + 0.05)})},
    # Rust keeps_parent_usage_when_sidechain_replays_message_with_new_request_id (a /btw replay under subagents/).
    "sidechain_replay": {"2026-03-29": Day((0, 40, 0, 720), usd(SONNET_4, o=40, cr=720),
                                           {S4: ((0, 40, 0, 720), usd(SONNET_4, o=40, cr=720))})},
    # Rust cost.rs: prices_cache_creation_breakdown_by_duration (999 ignored for 10 + 20),
    # parses_cache_creation_breakdown_from_usage_json (300 = 100 + 200), falls_back_to_flat_cache_creation_rate.
    "cache_breakdown": {"2025-06-01": Day((1, 2, 340, 30), c := usd(SONNET_4, 1, 2, c5m=10 + 100 + 10, c1h=20 + 200, cr=30),
                                          {S4: ((1, 2, 340, 30), c)})},
    # Rust cost.rs tiered_cost: per request and token kind, 200k at the base price, the rest at the long-context
    # price. ccusage 20.0.24 (offline) has no long-context price for Opus 4.6: 300k input tokens at $5.
    "tiered": {"2025-06-01": Day(
        (600_000, 1000, 10_000, 250_000),
        (s4 := usd(SONNET_4, 200_000, 1000, c5m=10_000, cr=200_000) + usd(SONNET_4_LONG, 100_000, cr=50_000))
        + usd(OPUS_4_6, 300_000),
        {S4: ((300_000, 1000, 10_000, 250_000), s4), "claude-opus-4-6": ((300_000, 0, 0, 0), usd(OPUS_4_6, 300_000))})},
    # TS 'cached tokens cost calculation' (claude-4-sonnet-20250514) and 'should handle unknown models gracefully'.
    "model_alias": {"2024-01-20": Day(
        (3000, 1500, 4000, 3000), usd(SONNET_4, 1000, 500, 2000, 0, 1500) + usd(OPUS_4, 1000, 500, 2000, 0, 1500),
        {"claude-4-sonnet-20250514": ((1000, 500, 2000, 1500), usd(SONNET_4, 1000, 500, 2000, 0, 1500)),
         "claude-4-opus-20250514": ((1000, 500, 2000, 1500), usd(OPUS_4, 1000, 500, 2000, 0, 1500)),
         "unknown-model-xyz": ((1000, 500, 0, 0), 0.0)})},
    # Rust is_valid_usage_entry / has_unsupported_null_field: only the first line counts (see SKIPPED below).
    "skipped_lines": {"2025-12-20": Day((5, 1, 0, 0), usd(SONNET_4, 5, 1), {S4: ((5, 1, 0, 0), usd(SONNET_4, 5, 1))})},
    # TS summarizeUsageEntries: <synthetic> tokens in the total, no row; fast Sonnet 4 is `-fast` at x1.
    "synthetic": {"2024-01-01": Day(
        (600, 250, 30, 25), usd(SONNET_4, 100, 50, 25, 0, 10) + usd(SONNET_4, 200, 75, 5, 0, 15),
        {S4: ((100, 50, 25, 10), usd(SONNET_4, 100, 50, 25, 0, 10)),
         f"{S4}-fast": ((200, 75, 5, 15), usd(SONNET_4, 200, 75, 5, 0, 15))})},
    # TS 'should handle zero token counts'; 20.0.24 shows no day without tokens, even one with a costUSD.
    "zero_day": {"2025-06-02": Day((5, 1, 0, 0), usd(SONNET_4, 5, 1),
                                   {S4: ((5, 1, 0, 0), usd(SONNET_4, 5, 1)), "claude-opus-4-6": ((0, 0, 0, 0), 0.0)})},
    # "model":null is skipped (has_unsupported_null_field); a model-less line counts without a row, cost 0.
    "null_model": {"2025-06-01": Day((105, 51, 0, 0), usd(SONNET_4, 5, 1), {S4: ((5, 1, 0, 0), usd(SONNET_4, 5, 1))})},
    # TS 'keeps the duplicate with more usage tokens across files' (the response moves to the larger line's
    # day), 'keeps the most complete duplicate usage entry'; equal duplicates keep the first file in path order.
    "dedup": {"2025-01-14": Day((100, 250, 10, 5), 0.01, {"claude-opus-4-6": ((100, 250, 10, 5), 0.01)}),
              "2025-01-15": Day((1200, 101, 0, 0), 0.002 + 0.004, {"claude-opus-4-6": ((1200, 101, 0, 0), 0.006)})},
    # TS 'deduplicates entries with the same message id when request id is missing' expects one response for two
    # lines a second apart; ccusage 20.0.24 counts both (it keys a missing requestId by the timestamp) and
    # merges only the line with the same timestamp (100 -> 150 tokens): 20.0.24 wins.
    # A repeated response days apart (a resumed session's new file copying old lines, dated when it was written):
    # ccusage dedups over its whole scan, not a day's neighbourhood. Measured on 20.0.24: equal copies keep the
    # first file in path order (msg_resume stays on 03-01 with s-old; msg_moved moves to 03-11 with a-resumed),
    # a larger copy wins wherever it is (msg_grow: 50/90 on 03-12, nothing on 03-02). Opus 4.6: $5 in, $25 out.
    "dedup_days_apart": {
        "2025-03-01": Day((100 + 10, 40 + 5, 0, 0), c1 := usd(OPUS_4_6, 110, 45), {"claude-opus-4-6": ((110, 45, 0, 0), c1)}),
        "2025-03-11": Day((20 + 300, 10 + 60, 0, 0), c2 := usd(OPUS_4_6, 320, 70),
                          {"claude-opus-4-6": ((320, 70, 0, 0), c2)}),
        "2025-03-12": Day((50, 90, 0, 0), c3 := usd(OPUS_4_6, 50, 90), {"claude-opus-4-6": ((50, 90, 0, 0), c3)})},
    "dedup_no_request_id": {"2025-01-14": Day((350, 160, 0, 0), 0.0015 + 0.002,
                                              {"claude-opus-4-6": ((350, 160, 0, 0), 0.0035)})},
}

SKIPPED = {"requestId is null", "version is not semver: abc", "version is not semver: 2.0", "sessionId is empty",
           "model is empty", "timestamp missing or without a time zone: 2025-12-20T10:06:00", "cwd is null"}


def _summary(rep: dict) -> dict[str, dict]:
    keys = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
    return {d["period"]: {"tokens": tuple(d[k] for k in keys), "cost": d["totalCost"],
                          "models": {m["modelName"]: (tuple(m[k] for k in keys), m["cost"])
                                     for m in d["modelBreakdowns"]}} for d in rep["daily"]}


def _assert_report(rep: dict, want: dict[str, Day]) -> None:
    got = _summary(rep)
    assert sorted(got) == sorted(want), (sorted(got), sorted(want))
    for day, w in want.items():
        g = got[day]
        assert g["tokens"] == w.tokens, day
        assert g["cost"] == pytest.approx(w.cost, rel=0.01, abs=1e-12), day
        assert set(g["models"]) == set(w.models), day
        for model, (tokens, cost) in w.models.items():
            assert g["models"][model][0] == tokens, (day, model)
            assert g["models"][model][1] == pytest.approx(cost, rel=0.01, abs=1e-12), (day, model)
    total = sum(sum(w.tokens) for w in want.values())
    assert rep["totals"]["totalTokens"] == total


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_ccp_daily_report_equals_ccusage(case: str, ccp_env: CcpEnv) -> None:
    shutil.copytree(CASES_DIR / case, ccp_env.claude, dirs_exist_ok=True)
    assert materialize_all() is not None
    _assert_report(report("UTC"), EXPECTED[case])
    conn = open_read_only(load_settings().warehouse_path)  # `ccp report daily --json` answers from here
    try:
        _assert_report(period_report(conn, "daily", Query("UTC")), EXPECTED[case])
    finally:
        conn.close()


def test_skipped_lines_are_quarantined_with_their_reason_and_leave_no_null_request_id(ccp_env: CcpEnv) -> None:
    """The real 2.0.76 shape: one line with "requestId":null is skipped (as ccusage does), named in
    quarantine, and no turn with a null request_id reaches the drift checks."""
    shutil.copytree(CASES_DIR / "skipped_lines", ccp_env.claude, dirs_exist_ok=True)
    materialize_all()
    reasons = {r[0].split(": ", 1)[1] for r in query(
        "SELECT reason FROM quarantine WHERE source = 'claude_code' AND kind = 'skipped_usage'")}
    assert reasons == SKIPPED
    assert query("SELECT count(*), count(request_id) FROM turns WHERE source = 'claude_code'") == [(1, 1)]


def test_a_response_repeated_days_later_counts_once_when_the_copy_lands_in_a_later_run(ccp_env: CcpEnv) -> None:
    """The resumed session's file arrives after the old days were materialized; the later run normalizes only
    the new days (it reads no old transcript) and still ends where ccusage's whole-scan dedup does: the
    first-seen keys of each day are kept in `cc_dedup_keys`, so the later copy that wins takes the response from
    its old day (msg_moved from 03-01, msg_grow from 03-02) and an equal later copy is not counted again."""
    src = CASES_DIR / "dedup_days_apart" / "projects"
    for f in ("project1/s-old.jsonl", "project2/b-old.jsonl", "project2/c-old.jsonl"):
        (ccp_env.claude / "projects" / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / f, ccp_env.claude / "projects" / f)
    first = materialize_all()
    assert first is not None and (first.start, first.end) == ("2025-03-01", "2025-03-02")
    shutil.copytree(src, ccp_env.claude / "projects", dirs_exist_ok=True)
    second = materialize_all()
    assert second is not None and (second.start, second.end) == ("2025-03-11", "2025-03-12")
    _assert_report(report("UTC"), EXPECTED["dedup_days_apart"])
    assert query("SELECT CAST(day AS VARCHAR), turn_id FROM cc_dedup_keys ORDER BY 1, 2") == [
        ("2025-03-01", "msg_moved:req_moved"), ("2025-03-01", "msg_old:req_old"),
        ("2025-03-01", "msg_resume:req_resume"), ("2025-03-02", "msg_grow:req_grow"),
        ("2025-03-11", "msg_moved:req_moved"), ("2025-03-11", "msg_new:req_new"),
        ("2025-03-11", "msg_resume:req_resume"), ("2025-03-12", "msg_grow:req_grow")]
    # 03-01 and 03-02 lost a response to the later copies: their measurements and rollups are stale, so the next
    # `ccp materialize` runs them again (and only them), and then there is nothing left to do
    assert query("SELECT DISTINCT CAST(day AS VARCHAR) FROM day_changes ORDER BY 1") == [("2025-03-01",),
                                                                                        ("2025-03-02",)]
    third = materialize_all()
    assert third is not None and (third.start, third.end) == ("2025-03-01", "2025-03-02")
    assert materialize_all() is None


@pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage 20.0.24 is not installed (`make oracle` needs npm)")
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_ccusage_itself_gives_the_expected_report(case: str) -> None:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(CASES_DIR / case)}
    out = subprocess.run([str(CCUSAGE), "daily", "--json", "--offline", "--timezone", "UTC"], env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    _assert_report(json.loads(out), EXPECTED[case])


def test_json_written_with_spaces_counts_like_compact_json(ccp_env: CcpEnv) -> None:
    """The one deliberate difference from ccusage (sources/claude_code/rules.py): it reads only lines holding the bytes
    `"usage":{`, so `"usage": {` counts nothing there; Claude Code writes compact JSON, other writers may not.
    Here the spaced line counts and a spaced `"requestId": null` is still skipped."""
    proj = ccp_env.projects()
    line = {"timestamp": "2025-06-01T10:00:00Z", "requestId": "r1",
            "message": {"id": "m1", "model": S4, "usage": {"input_tokens": 5, "output_tokens": 1}}}
    (proj / "s.jsonl").write_text(json.dumps(line) + "\n" + json.dumps(line | {"requestId": None}) + "\n")
    materialize_all()
    _assert_report(report("UTC"), {"2025-06-01": Day((5, 1, 0, 0), usd(SONNET_4, 5, 1),
                                                     {S4: ((5, 1, 0, 0), usd(SONNET_4, 5, 1))})})


@pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage 20.0.24 is not installed (`make oracle` needs npm)")
@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly", "session"])
def test_the_saved_ccusage_answers_are_what_ccusage_says(kind: str) -> None:
    """The parity tests compare against ccusage's answers saved in tests/fixtures; here the real ccusage
    20.0.24 answers again on the same transcripts, so a saved oracle cannot go stale unnoticed."""
    fixture = REPO / "tests" / "fixtures" / "claude-code"
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(fixture)}
    out = subprocess.run([str(CCUSAGE), kind, "--json", "--offline", "--timezone", "UTC"], env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert json.loads(out) == json.loads((fixture / f"ccusage-{kind}-utc.json").read_text())
