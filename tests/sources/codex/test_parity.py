"""Codex parity: the package's tokens and cost per day x model equal ccusage 20.0.24's `codex daily --json`.

The fixture rollouts (tests/fixtures/codex/README.md) go through the real landing and the package's
normalizer into a real DuckDB warehouse; the report is compared with ccusage's saved answers for three time
zones: every token count exact, cost within 1% per day and in total. The saved answers are checked against
the real binary when it is installed (skips otherwise).
"""

from __future__ import annotations

import json

import pytest

from tests.sources.codex.conftest import FIXTURE, CodexHome, needs_ccusage, run_ccusage, run_pipeline

ZONES = ("UTC", "Asia/Tokyo", "America/Los_Angeles")
TOKEN_KEYS = ("inputTokens", "cacheReadTokens", "cacheCreationTokens", "outputTokens", "reasoningOutputTokens",
              "totalTokens")


def saved(tz: str) -> dict:
    return json.loads((FIXTURE / "ccusage" / f"daily_{tz.replace('/', '_')}.json").read_text())


def tokens_only(report: dict) -> dict:
    return {d["date"]: ({k: d[k] for k in TOKEN_KEYS}, d["models"]) for d in report["daily"]}


@pytest.mark.parametrize("tz", ZONES)
def test_codex_daily_equals_ccusage(tz: str, fixture_home: CodexHome) -> None:
    want, got = saved(tz), run_pipeline(tz)
    assert tokens_only(got) == tokens_only(want)
    assert {k: got["totals"][k] for k in TOKEN_KEYS} == {k: want["totals"][k] for k in TOKEN_KEYS}
    for g, w in zip(got["daily"], want["daily"], strict=True):
        assert g["costUSD"] == pytest.approx(w["costUSD"], rel=0.01), g["date"]
    assert got["totals"]["costUSD"] == pytest.approx(want["totals"]["costUSD"], rel=0.01)


def test_the_fixture_covers_the_cases(fixture_home: CodexHome) -> None:
    """The saved answers hold what the fixtures were written for (a guard against a fixture losing a case)."""
    utc = saved("UTC")
    days = {d["date"]: d for d in utc["daily"]}
    assert days["2025-09-08"]["models"]["gpt-5"]["isFallback"] is True  # no turn_context in the file
    assert set(days["2025-10-01"]["models"]) == {"gpt-5-codex", "gpt-5"}  # model switch
    assert days["2026-03-11"]["models"]["gpt-5.4"]["isFallback"] is True  # codex-auto-review on 2026-03-11
    assert {d["date"] for d in saved("Asia/Tokyo")["daily"]} != set(days)  # time zones move turns


@needs_ccusage
@pytest.mark.parametrize("tz", ZONES)
def test_the_saved_answers_are_what_ccusage_says(tz: str) -> None:
    assert run_ccusage(FIXTURE / "home", tz) == saved(tz)
