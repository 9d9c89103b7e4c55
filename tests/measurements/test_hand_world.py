"""Every measurement on a small world whose answers are worked out by hand: a git repository with a known
history (fixed dates), a BDD feature that passes and one that fails, AgentOS windows with a correction, an exact
duplicate and a reset 5-hour bar, and one Claude Code transcript with known prompt gaps. One real Dagster run over
2025-03-03 .. 2025-03-26; the tests read the warehouse and the rollup files it wrote."""

from __future__ import annotations

import json
from statistics import mean, pstdev

import pytest

from tests.helpers import materialize_all, query
from tests.measurements.conftest import (
    METRICS_FIELDS,
    Transcript,
    commit,
    git,
    isolated_env,
    summary,
    utc,
    window,
)

CORE_V1 = "def f(x):\n    if x:\n        return 1\n    return 0\n"                 # 4 lines, complexity 2
UTIL_V1 = "from app import core\n\n\ndef g(y):\n    return core.f(y)\n"          # 5 lines, complexity 1
PLAN = "p" * 1023 + "\n"                                                       # 1 line, 1024 bytes
GOOD = "@id:good\nFeature: Good\n  Scenario: works\n"                          # 3 lines
BAD = "@id:bad\nFeature: Bad\n  Scenario: breaks\n"                            # 3 lines
D1, D2, D3, D4 = "2025-03-03", "2025-03-07", "2025-03-13", "2025-03-26"


def _junit() -> str:
    cases = [("tests.bdd.test_good", "test_works", "good", "features/good.feature:3", True),
             ("tests.bdd.test_bad", "test_breaks", "bad", "features/bad.feature:3", False)]
    body = "".join(
        f'<testcase classname="{c}" name="{n}" time="0.1"><properties><property name="feature_id" value="{f}"/>'
        f'<property name="spec_ref" value="{r}"/></properties>' + ("" if ok else '<failure message="no">E</failure>')
        + "</testcase>" for c, n, f, r, ok in cases)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest" errors="0" failures="1" '
            f'tests="2" timestamp="{D1}T18:30:00">{body}</testsuite></testsuites>\n')


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hand")
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    c1 = commit(repo, {"src/app/core.py": CORE_V1, "src/app/util.py": UTIL_V1, "docs/plan.md": PLAN,
                       "features/good.feature": GOOD, "features/bad.feature": BAD}, utc(2025, 3, 3, 10), "c1")
    c2 = commit(repo, {"src/app/core.py": CORE_V1.replace("return 0", "return -1")}, utc(2025, 3, 3, 16), "c2")
    c3 = commit(repo, {"src/app/util.py": UTIL_V1.replace("core.f(y)", "core.f(y) + 1")}, utc(2025, 3, 7, 12), "c3")
    c4 = commit(repo, {"src/app/core.py": CORE_V1.replace("return 0", "return -2").replace("return 1", "return 2")},
                utc(2025, 3, 13, 12), "c4")
    c5 = commit(repo, {"docs/plan.md": None, "web/app.ts": "export const x = 1;\n"}, utc(2025, 3, 26, 12), "c5")
    (repo / "reports").mkdir()
    (repo / "reports" / "junit-2025-03-03.xml").write_text(_junit())

    agentos = tmp / "agentos"
    agentos.mkdir()
    w2 = window("W2", utc(2025, 3, 3, 13), "codex", 1, {"fiveh_pct": -40, "weekly_pct": 5})
    recs = [
        window("W1", utc(2025, 3, 3, 12), "codex", 2, {"fiveh_pct": 10, "weekly_pct": 3}, quality=0.8),
        w2, w2,                                                                    # an exact duplicate
        window("W3", utc(2025, 3, 3, 14), "claude", 1, {"session_pct": 4, "all_models_pct": 1}, quality=1.0),
        window("W4", utc(2025, 3, 3, 16), "glm", 1, {"prompts_used": 20}),
        window("W3", utc(2025, 3, 3, 15), "claude", 2, {"session_pct": 6, "all_models_pct": 2}, quality=1.0),
        window("Wcls", utc(2025, 3, 7, 12, 30), "codex", 1, {"fiveh_pct": 4, "weekly_pct": 1}, quality=1.0,
               commit_range=f"{c2[:10]}..{c3[:10]}"),
    ]
    (agentos / "windows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))

    t = Transcript("sess-1")
    t.prompt(utc(2025, 3, 3, 9, 0, 0), "fix the bug")                               # first prompt: 0
    t.answer(utc(2025, 3, 3, 9, 0, 30))
    t.tool_result(utc(2025, 3, 3, 9, 0, 40))                                         # not a prompt
    t.answer(utc(2025, 3, 3, 9, 1, 0))
    t.prompt(utc(2025, 3, 3, 9, 3, 0), "now the tests")                             # 120 s -> 2 min
    t.answer(utc(2025, 3, 3, 9, 3, 20))
    t.prompt(utc(2025, 3, 3, 9, 4, 0), "caveat", isMeta=True)                       # written by Claude Code
    t.prompt(utc(2025, 3, 3, 9, 5, 0), "subagent task", isSidechain=True)           # not the human
    t.prompt(utc(2025, 3, 3, 9, 30, 0), "and the docs")                             # 26m40s -> capped, 5 min
    t.answer(utc(2025, 3, 3, 9, 30, 10), model="mystery-model-1")
    t.prompt(utc(2025, 3, 3, 9, 31, 0), "<local-command-stdout>hi</local-command-stdout>")   # command output
    t.prompt(utc(2025, 3, 3, 9, 31, 30), [{"type": "text", "text": "see"},                 # 80 s -> 4/3 min
                                          {"type": "image", "source": {"type": "base64", "data": "AA=="}}])
    t.answer(utc(2025, 3, 3, 9, 32, 0))
    t.write(tmp / "claude")

    with isolated_env(tmp, {"CCP_REPO_DIR": str(repo), "CCP_AGENTOS_DATA_DIR": str(agentos),
                            "CLAUDE_CONFIG_DIR": str(tmp / "claude")}) as home:
        outcome = materialize_all(D1, D4)
        assert outcome is not None and outcome.success, outcome and outcome.failures
        yield {"home": home, "shas": [c1, c2, c3, c4, c5], "outcome": outcome}


def test_git_churn_of_a_day_is_the_blame_arithmetic(world):
    # 2025-03-03 adds 16 lines (c1: core 4, util 5, plan 1, two features 3 + 3) + 1 line (c2) = 17.
    # Within 7 days: c2 rewrites c1's `return 0` (6 h later), c3 rewrites c1's `return core.f(y)` (4 days) -> 2.
    # Within 14 days: c4 rewrites c1's `return 1` and c2's `return -1` (~10 days)                          -> 4.
    # Within 28 days: c5 deletes docs/plan.md (23 days)                                                      -> 5.
    row = query("SELECT lines_added, churned_7d, churned_14d, churned_28d, churn_7d, churn_14d, churn_28d, "
                "churn_score, churn_source FROM churn_daily WHERE day = ?", [D1])[0]
    assert row[:4] == (17, 2, 4, 5)
    assert row[4:7] == pytest.approx((2 / 17, 4 / 17, 5 / 17))
    assert row[7:] == (pytest.approx(4 / 17), "git_churn_14d")
    # later days: their added lines all survive, a measured 0 (not a missing value)
    assert query("SELECT CAST(day AS VARCHAR), lines_added, churn_14d FROM churn_daily WHERE day IN (?, ?, ?) "
                 "ORDER BY day", [D2, D3, D4]) == [(D2, 1, 0.0), (D3, 2, 0.0), (D4, 1, 0.0)]
    # a day without commits has no git fraction, and says why
    (no_commits,) = query("SELECT churn_14d, churn_score, errors FROM churn_daily WHERE day = '2025-03-04'")
    assert no_commits[:2] == (None, None) and any("no lines added" in e for e in no_commits[2])


INPUTS = ("files_touched", "module_spread", "dep_depth", "delta_cyclomatic", "plan_size_kb", "interface_delta",
          "cross_refs")
WEIGHTS = (0.25, 0.20, 0.15, 0.15, 0.10, 0.10, 0.05)
# Day ranges: D1 = empty tree..c2, D2 = c2..c3, D3 = c3..c4, D4 = c4..c5 (hand-read from the commits above).
RAW = {
    D1: (5, 4, 1, 3, (1024 + len(GOOD) + len(BAD)) / 1024, 2, 1),  # modules app.core app.util docs features;
    #                                                               util imports core: depth 1, one cross ref;
    #                                                               f (if: 2) + g (1); f and g are new
    D2: (1, 1, 1, 0, 0.0, 0, 1),                                    # util.py only, same signature
    D3: (1, 1, 0, 0, 0.0, 0, 0),                                    # core.py only: imports nothing
    D4: (2, 2, None, None, 0.0, None, None),                        # plan.md deleted, app.ts added: no Python
}


def _z(day: str) -> list[float]:
    """z of each input against this and the earlier day rows (population std; no spread or missing -> 0)."""
    days = [d for d in RAW if d <= day]
    out = []
    for i in range(7):
        x, xs = RAW[day][i], [RAW[d][i] for d in days if RAW[d][i] is not None]
        out.append(0.0 if x is None or pstdev(xs) == 0 else (x - mean(xs)) / pstdev(xs))
    return out


def test_cls_inputs_z_scores_and_score_by_hand(world):
    rows = {d: r for d, *r in query(f"SELECT CAST(day AS VARCHAR), {', '.join(INPUTS)} FROM cls_features "
                                    "WHERE scope = 'day' ORDER BY day")}
    assert set(rows) == set(RAW)
    for day, raw in RAW.items():
        assert tuple(rows[day]) == pytest.approx(raw), day
    # z by hand: D2 against {D1, D2}: every input that differs is one std below the mean -> z = -1
    assert _z(D2) == [-1.0, -1.0, 0.0, -1.0, -1.0, -1.0, 0.0]
    # D3 against three days: inputs with one high and two low values -> -1/sqrt(2); depth and refs {1, 1, 0} -> -sqrt(2)
    assert _z(D3) == pytest.approx([-0.707107, -0.707107, -1.414214, -0.707107, -0.707107, -0.707107, -1.414214])
    cls = {d: (c, z) for d, c, *z in query("SELECT CAST(day AS VARCHAR), cls, "
                                           + ", ".join(f"z_{n}" for n in INPUTS) +
                                           " FROM cls_features WHERE scope = 'day'")}
    assert cls[D1][0] == 0.0                                   # the first day has nothing to compare with
    assert cls[D2][0] == pytest.approx(-(0.25 + 0.20 + 0.15 + 0.10 + 0.10))          # -0.80
    assert cls[D3][0] == pytest.approx(-0.707107 * 0.80 - 1.414214 * 0.20, abs=1e-6)  # -0.848528
    for day in (D2, D3, D4):
        assert cls[day][1] == pytest.approx(_z(day), abs=1e-9), day
        assert cls[day][0] == pytest.approx(sum(w * z for w, z in zip(WEIGHTS, _z(day), strict=True)), abs=1e-9)
    # the TypeScript-only day: code inputs missing, named, contributing 0
    (errors,) = query("SELECT errors FROM cls_features WHERE scope = 'day' AND day = ?", [D4])[0]
    assert any("not measured for 1 TypeScript" in e for e in errors)
    assert any("dep_depth missing, contributes 0" in e for e in errors)
    # a window's CLS comes from its own commit range (c2..c3 is D2's diff)
    win = query(f"SELECT range_start, range_end, {', '.join(INPUTS)} FROM cls_features WHERE scope = 'window:Wcls'")
    assert win[0][:2] == (world["shas"][1], world["shas"][2]) and win[0][2:] == pytest.approx(RAW[D2])
    assert summary(world["home"], D3)["avg_cls"] == pytest.approx(-0.848528, abs=1e-6)


def test_efficiency_with_supersede_duplicate_weekly_fallback_and_quality_rule(world):
    s = summary(world["home"], D1)
    eff = s["efficiency_by_provider"]
    q_w2 = 1 - 4 / 17                       # W2 has no quality: 1 - churn_14d of the day (in [0.5, 1])
    # codex: W1 (2 features, 10 pp, quality 0.8) + W2 once (1 feature, 5-hour bar reset: weekly 5 pp)
    assert eff["codex"] == {"features": 3, "capacity": 15.0, "capacity_unit": "pp", "e": pytest.approx(3 / 15, abs=1e-6),
                            "e_q": pytest.approx((2 * 0.8 + 1 * q_w2) / 15, abs=1e-6)}
    # claude: the correction (2 features, 6 pp) supersedes the first record (1 feature, 4 pp)
    assert eff["claude"] == {"features": 2, "capacity": 6.0, "capacity_unit": "pp", "e": pytest.approx(2 / 6, abs=1e-6),
                             "e_q": pytest.approx(2 / 6, abs=1e-6)}
    assert eff["glm"] == {"features": 1, "capacity": 20.0, "capacity_unit": "prompts", "e": pytest.approx(1 / 20, abs=1e-6),
                          "e_q": pytest.approx(q_w2 / 20, abs=1e-6)}
    assert s["capacity_used"]["pp"] == 21.0 and s["capacity_used"]["prompts"] == 20.0      # never added together
    assert s["features_per_capacity"]["pp"] == pytest.approx(5 / 21, abs=1e-6)
    assert s["features_per_capacity"]["prompts"] == pytest.approx(1 / 20, abs=1e-6)
    assert s["quality_adjusted_efficiency"]["pp"] == pytest.approx((2 * 0.8 + q_w2 + 2) / 21, abs=1e-6)
    assert "codex E: 1 window(s) measured by the weekly delta (5-hour delta missing or reset)" in s["errors"]
    # superseded and duplicate records stay as history
    assert query("SELECT count(*) FILTER (WHERE superseded), count(*) FILTER (WHERE duplicate) FROM windows "
                 "WHERE day = ?", [D1]) == [(2, 1)]


def test_a_feature_whose_scenarios_fail_is_not_shipped(world):
    s = summary(world["home"], D1)
    assert (s["features_shipped"], s["features_basis"]) == (1, "bdd")
    assert s["features_shipped_ids"] == ["good"] and s["features_failing_ids"] == ["bad"]
    assert query("SELECT window_features FROM features_daily WHERE day = ?", [D1]) == [(2 + 1 + 2 + 1,)]
    assert "Shipped: 1 feature(s) (BDD scenarios pass: good); scenarios failing: bad." in (
        world["home"] / "rollups" / "progress.log.md").read_text()


def test_interaction_minutes_and_impf(world):
    # prompts: 0 (first) + 2 (120 s) + 5 (26 min 40 s, capped) + 4/3 (80 s); tool results, meta, sidechain and
    # command-output lines are not human prompts
    assert query("SELECT session_id, prompts, idle_prompts, interaction_minutes FROM interaction_daily") == [
        ("sess-1", 4, 1, pytest.approx(0 + 2 + 5 + 80 / 60, abs=1e-6))]
    s = summary(world["home"], D1)
    assert s["avg_impf"] == pytest.approx((0 + 2 + 5 + 80 / 60) / 1, abs=1e-6)     # one feature shipped that day
    assert s["interaction_minutes"] == pytest.approx(8.3333, abs=1e-4)


def test_cost_model_mix_unknown_models_and_policy(world):
    s = summary(world["home"], D1)
    assert s["turns"] == 5 and s["sessions"] == 1
    assert s["tokens_by_model"]["claude-sonnet-4-5-20250929"]["total"] == 4 * 150
    assert s["cost_usd_by_model"]["claude-sonnet-4-5-20250929"] == pytest.approx(4 * (100 * 3 + 50 * 15) / 1e6, abs=1e-6)
    assert s["cost_usd_by_model"]["mystery-model-1"] == 0.0
    assert "unknown model 'mystery-model-1': priced at 0 (not in price table)" in s["errors"]
    # GLM prompts without a GLM call in any log: priced at plan price / prompt cap (GLM Coding Pro: $30 / 86,400)
    assert s["cost_usd_by_model"]["glm"] == pytest.approx(20 * 30 / 86_400, abs=1e-6)
    assert s["model_share"]["models"]["claude-sonnet-4-5-20250929"]["turns"] == pytest.approx(0.8, abs=1e-6)
    assert s["model_share"]["subagents"]["main"]["turns"] == 1.0
    assert s["policy_findings"] == [
        "20 GLM prompt(s) used (AgentOS windows) under the community plan, which does not include models_mixed"]


def test_missing_inputs_are_null_with_a_reason_never_zero(world):
    s = summary(world["home"], D3)          # only a commit that day: no windows, transcripts, tests, proxy
    for field, reason in (("features_shipped", "features_shipped: no feature source"),
                          ("capacity_used", "capacity_used: no capacity source"),
                          ("features_per_capacity", None), ("quality_adjusted_efficiency", None),
                          ("avg_impf", "avg_impf: no human prompt"), ("turns", "turns: no model-call source"),
                          ("sessions", "sessions: no session source"), ("routing", "routing: no CCP proxy")):
        assert s[field] is None, field
        if reason:
            assert any(e.startswith(reason) for e in s["errors"]), (field, s["errors"])
    assert s["efficiency_by_provider"] == {} and any(e.startswith("efficiency_by_provider:") for e in s["errors"])
    assert s["avg_cls"] is not None and s["avg_churn_score"] == 0.0         # measured from git
    day = query("SELECT impf, feature_delta, errors FROM measurements WHERE source = 'ccp_assets' AND scope = 'day' "
                "AND day = ?", [D3])[0]
    assert day[:2] == (None, None) and any(e.startswith("impf:") for e in day[2])
    assert not (world["home"] / "rollups" / "2025-03-04").exists()         # no data at all: no summary


def test_summary_has_every_metrics_field(world):
    for day in (D1, D2, D3, D4):
        s = summary(world["home"], day)
        assert [f for f in METRICS_FIELDS if f not in s] == [], day
    s = summary(world["home"], D1)
    assert s["inputs"]["claude_code"]["lines"] == 13 and s["inputs"]["agentos"]["lines"] == 6
    assert s["vs_previous_day"] is None                    # nothing measured on 2025-03-02
