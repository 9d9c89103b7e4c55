"""`ccp report daily|weekly|monthly|session|blocks` against ccusage 20.0.24's saved answers on the fixtures.

One installation for the module: the first `ccp report` (no `ccp materialize` before it) must bring the
warehouse up to date itself; every later call reads it. CLAUDE_CONFIG_DIR points at `projects/` itself,
which ccusage accepts too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ccp_assets.reports.blocks import block_bounds
from tests.conftest import CLAUDE_FIXTURE, REPO, load_oracle
from tests.helpers import CCP
from tests.tiers import runs_graph

TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
# ccusage's session and blocks reports leave out subagent usage known only from a parent's embedded
# agent_progress lines; its daily report counts it, and so do all of ours (test_ccusage_parity.py). On the
# fixtures that is exactly the haiku usage ccusage's daily report shows on 2026-02-10 (its only haiku).
EMBEDDED_DAY, EMBEDDED_SESSION, EMBEDDED_MODEL = "2026-02-10", "subagent", "claude-haiku-4-5-20251001"


@pytest.fixture(scope="module")
@runs_graph  # its first `ccp report` runs the graph
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("reports")
    shutil.copytree(CLAUDE_FIXTURE / "projects", tmp / "claude" / "projects")
    (tmp / "home").mkdir()
    (tmp / "dagster_home").mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", tmp / "dagster_home" / "dagster.yaml")
    e = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    e.update({"CCP_HOME": str(tmp / "ccp_home"), "DAGSTER_HOME": str(tmp / "dagster_home"), "HOME": str(tmp / "home"),
              "CLAUDE_CONFIG_DIR": str(tmp / "claude" / "projects"), "CCP_TIMEZONE": "UTC", "COLUMNS": "80",
              "PYTHONPATH": str(REPO)})
    first = run(e, "report", "weekly", "--json")
    assert "bringing the warehouse up to date" in first.stderr, first.stderr
    assert "ccp materialize` first" not in first.stdout + first.stderr
    e["_first_weekly"] = first.stdout
    return e


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(CCP), *args], env={k: v for k, v in env.items() if not k.startswith("_")},
                       capture_output=True, text=True, timeout=600, cwd=env["HOME"])
    if ok:
        assert r.returncode == 0, f"ccp {' '.join(args)} exited {r.returncode}: {r.stderr}"
    return r


def report(env: dict[str, str], *args: str) -> dict:
    return json.loads(run(env, "report", *args, "--json").stdout)


def assert_rows_equal(ours: list[dict], oracle: list[dict]) -> None:
    """Same periods in the same order; tokens exact; cost within 1%; ccusage's agent/metadata/model keys."""
    assert [r["period"] for r in ours] == [r["period"] for r in oracle]
    for a, b in zip(ours, oracle, strict=True):
        assert {k: a[k] for k in (*TOKENS, "totalTokens")} == {k: b[k] for k in (*TOKENS, "totalTokens")}, b["period"]
        assert abs(a["totalCost"] - b["totalCost"]) <= 0.01 * b["totalCost"]
        assert (a["agent"], a["metadata"], a["modelsUsed"]) == (b["agent"], b["metadata"], b["modelsUsed"])
        assert [m["modelName"] for m in a["modelBreakdowns"]] == [m["modelName"] for m in b["modelBreakdowns"]]
        for ma, mb in zip(a["modelBreakdowns"], b["modelBreakdowns"], strict=True):
            assert {k: ma[k] for k in TOKENS} == {k: mb[k] for k in TOKENS}
            assert abs(ma["cost"] - mb["cost"]) <= 0.01 * mb["cost"]
        assert set(a) >= set(b), set(b) - set(a)


def assert_totals_equal(ours: dict, oracle: dict) -> None:
    assert {k: ours[k] for k in (*TOKENS, "totalTokens")} == {k: oracle[k] for k in (*TOKENS, "totalTokens")}
    assert abs(ours["totalCost"] - oracle["totalCost"]) <= 0.01 * oracle["totalCost"]


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly"])
def test_period_reports_equal_ccusage(env, kind):
    ours = json.loads(env["_first_weekly"]) if kind == "weekly" else report(env, kind)
    oracle = load_oracle(f"ccusage-{kind}-utc.json")
    assert set(ours) == {kind, "totals"}
    assert_rows_equal(ours[kind], oracle[kind])
    assert_totals_equal(ours["totals"], oracle["totals"])


def _embedded() -> dict:
    """The usage ccusage's session/blocks reports leave out, read from its own daily answer."""
    day = next(d for d in load_oracle("ccusage-daily-utc.json")["daily"] if d["period"] == EMBEDDED_DAY)
    return next(m for m in day["modelBreakdowns"] if m["modelName"] == EMBEDDED_MODEL)


def test_session_report_equals_ccusage_plus_the_embedded_subagent_usage(env):
    ours, oracle = report(env, "session"), load_oracle("ccusage-session-utc.json")
    extra = _embedded()
    want = json.loads(json.dumps(oracle["session"]))
    for row in want:
        if row["period"] == EMBEDDED_SESSION:
            row["modelBreakdowns"].append(dict(extra))
            row["modelsUsed"] = sorted([*row["modelsUsed"], EMBEDDED_MODEL])
            for k in TOKENS:
                row[k] += extra[k]
            row["totalTokens"] += sum(extra[k] for k in TOKENS)
            row["totalCost"] += extra["cost"]
    # Ordered by cost, descending by default, as ccusage; the extra haiku does not change that order.
    assert_rows_equal(ours["session"], want)
    assert ours["totals"]["totalTokens"] == load_oracle("ccusage-daily-utc.json")["totals"]["totalTokens"]
    asc = report(env, "session", "--order", "asc")["session"]
    assert [r["period"] for r in asc] == [r["period"] for r in reversed(want)]
    since = report(env, "session", "--since", "20260211")["session"]
    assert [r["period"] for r in since] == ["4d5611e5-241a-462a-8d15-5122611a9569"]


def test_blocks_equal_ccusage_five_hour_blocks(env):
    ours, oracle = report(env, "blocks")["blocks"], load_oracle("ccusage-blocks-utc.json")["blocks"]
    keys = ("id", "startTime", "endTime", "actualEndTime", "isActive", "isGap", "burnRate", "projection")
    assert [{k: b[k] for k in keys} for b in ours] == [{k: b[k] for k in keys} for b in oracle]
    extra = _embedded()
    for a, b in zip(ours, oracle, strict=True):
        ccusage_names = {"inputTokens": "inputTokens", "outputTokens": "outputTokens",
                         "cacheCreationTokens": "cacheCreationInputTokens", "cacheReadTokens": "cacheReadInputTokens"}
        # The embedded haiku usage happened at 21:58 on 2026-02-10: inside the first block.
        add = extra if b["startTime"].startswith(EMBEDDED_DAY) else dict.fromkeys((*TOKENS, "cost"), 0)
        assert a["tokenCounts"] == {v: b["tokenCounts"][v] + add[k] for k, v in ccusage_names.items()}
        assert a["totalTokens"] == b["totalTokens"] + sum(add[k] for k in TOKENS)
        assert abs(a["costUSD"] - b["costUSD"] - add["cost"]) <= 0.01 * max(b["costUSD"], 0.01)
        assert a["models"][: len(b["models"])] == b["models"] and set(a) >= set(b), set(b) - set(a)
        assert a["entries"] >= b["entries"] and (a["entries"] == b["entries"]) == (add["cost"] == 0)
    desc = report(env, "blocks", "--order", "desc")["blocks"]
    assert [b["id"] for b in desc] == [b["id"] for b in reversed(oracle)]


def test_timezone_order_offline_project_and_instances(env):
    tokyo = report(env, "daily", "-z", "Asia/Tokyo")
    assert [d["period"] for d in tokyo["daily"]] == ["2026-02-11", "2026-02-13"]  # 21:00Z is 06:00 next day
    assert tokyo["totals"]["totalTokens"] == load_oracle("ccusage-daily-utc.json")["totals"]["totalTokens"]
    desc = report(env, "daily", "--order", "desc", "--offline")
    assert [d["period"] for d in desc["daily"]] == ["2026-02-12", "2026-02-10"]
    assert report(env, "daily", "-O") == report(env, "daily", "--no-offline")
    project = "-home-USER-projects-spotter"
    assert report(env, "monthly", "--project", project)["totals"] == report(env, "monthly")["totals"]
    inst = report(env, "weekly", "--instances")
    assert list(inst["projects"]) == [project] and inst["projects"][project][0]["project"] == project
    nothing = run(env, "report", "daily", "--json", "--project", "nope")
    assert json.loads(nothing.stdout)["daily"] == [] and "no usage in project 'nope'" in nothing.stderr
    later = run(env, "report", "monthly", "--since", "2026-03-01")
    assert "no usage from 2026-03-01" in later.stderr and "materialize" not in later.stderr
    claude = report(env, "claude", "daily")
    assert {d["agent"] for d in claude["daily"]} == {"claude"}


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly", "session", "blocks"])
def test_table_fits_80_columns_with_every_number_in_full(env, kind):
    rep = report(env, kind)
    for extra in ((), ("--breakdown",)):
        table = run(env, "report", kind, *extra).stdout  # COLUMNS=80 in env: rich renders at width 80
        assert "…" not in table and max(len(line) for line in table.splitlines()) <= 80, table
        tot = rep["totals"]
        for key in ("inputTokens", "outputTokens", "totalTokens"):
            assert f"{tot[key]:,}" in table
        assert f"${tot['totalCost']:,.2f}" in table
        for row in rep[kind]:
            assert f"{row['totalTokens']:,}" in table
        if extra:
            assert re.search(r"└ (opus|haiku|sonnet)-4", table)
    compact = run(env, "report", kind, "--compact").stdout
    assert "Cache" not in compact and f"{rep['totals']['totalTokens']:,}" in compact and "…" not in compact


H = 3600 * 1000


@pytest.mark.parametrize(("stamps", "want"), [
    # ccusage's own cases (its session-blocks tests), in epoch ms from 2024-01-01T10:00Z = T.
    ([0, 1 * H, 2 * H], [(0, 0, 2 * H)]),                                    # one block within 5 h
    ([0, 6 * H], [(0, 0, 0), (6 * H, 6 * H, 6 * H)]),                        # > 5 h apart: two blocks
    ([0, 2 * H, 8 * H], [(0, 0, 2 * H), (8 * H, 8 * H, 8 * H)]),             # a gap after the first
    ([55 * 60_000 + 30_000], [(0, 55 * 60_000 + 30_000, 55 * 60_000 + 30_000)]),  # floored to the hour
    ([30 * 60_000, 5 * H], [(0, 30 * 60_000, 5 * H)]),                       # exactly start + 5 h stays in
    ([30 * 60_000, 5 * H + 1], [(0, 30 * 60_000, 30 * 60_000), (5 * H, 5 * H + 1, 5 * H + 1)]),
])
def test_block_bounds_follow_ccusages_rule(stamps, want):
    t = 1704103200000  # 2024-01-01T10:00:00Z
    assert block_bounds([t + s for s in stamps]) == [tuple(t + x for x in b) for b in want]


def test_active_block_has_burn_rate_and_projection_at_a_given_now(env):
    """Time is outside the product: `now` one hour after the last entry makes the last block active."""
    from datetime import UTC, datetime

    from ccp_assets.reports.blocks import blocks_report
    from ccp_assets.reports.usage import Query
    from ccp_assets.warehouse.readonly import open_read_only

    oracle = load_oracle("ccusage-blocks-utc.json")["blocks"]
    last = oracle[-1]
    now = datetime(2026, 2, 12, 22, 3, 34, 112000, tzinfo=UTC)  # last entry 21:03:34.112Z + 1 h
    conn = open_read_only(Path(env["CCP_HOME"]) / "warehouse.duckdb")
    try:
        blocks = blocks_report(conn, Query("UTC"), now=now)["blocks"]
    finally:
        conn.close()
    assert [b["isActive"] for b in blocks] == [False] * (len(oracle) - 1) + [True]
    b = blocks[-1]
    end = datetime.fromisoformat(last["endTime"].replace("Z", "+00:00"))
    remaining = (end - now).total_seconds() / 60
    assert b["projection"]["remainingMinutes"] == round(remaining)
    rate = b["burnRate"]["tokensPerMinute"]
    assert b["projection"]["totalTokens"] == round(last["totalTokens"] + rate * remaining)
    assert b["burnRate"]["costPerHour"] > 0 and b["projection"]["totalCost"] >= round(last["costUSD"], 2)


def test_table_at_80_columns_keeps_billions_whole_and_folds_long_names():
    """Rendering only (no warehouse): a year of heavy use and a long session name still fit 80 columns."""
    from rich.console import Console

    from ccp_assets.cli.report_table import print_report

    m = {"modelName": "claude-opus-4-6", "inputTokens": 123_456_789, "outputTokens": 98_765_432,
         "cacheCreationTokens": 1_234_567_890, "cacheReadTokens": 9_876_543_210, "cost": 12_345.67}
    total = sum(m[k] for k in TOKENS)
    row = {"period": "a-long-session-name-" * 3, "agent": "claude", "metadata": {}, **{k: m[k] for k in TOKENS},
           "totalTokens": total, "totalCost": m["cost"], "modelsUsed": [m["modelName"]], "modelBreakdowns": [m]}
    rep = {"session": [row], "totals": {k: row[k] for k in (*TOKENS, "totalTokens", "totalCost")}}
    console = Console(width=80, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    print_report("session", rep, [row], "UTC", breakdown=True, compact=False, title="t", console=console)
    text = console.export_text()
    assert "…" not in text and max(map(len, text.splitlines())) <= 80
    assert "11,333,333,321" in text and "$12,345.67" in text and "123,456,789" in text
