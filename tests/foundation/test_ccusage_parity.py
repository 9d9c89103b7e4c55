"""On the real fixture transcripts our daily report equals ccusage's own answer.

The three tests read one shared run of the fixture (`reads_claude_run`, tests/conftest.py) instead of each
materializing the same transcripts again."""

from __future__ import annotations

from collections import defaultdict

from tests.conftest import load_oracle
from tests.helpers import costs, query, report, token_rows


def test_daily_tokens_equal_ccusage_exactly_and_cost_within_half_a_percent(reads_claude_run):
    outcome = reads_claude_run.outcome
    assert outcome is not None and outcome.success, outcome
    ours, oracle = report("UTC"), load_oracle("ccusage-daily-utc.json")
    assert token_rows(ours) == token_rows(oracle)
    for key, want in costs(oracle).items():
        assert abs(costs(ours)[key] - want) <= 0.005 * want, key
    for k in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens"):
        assert ours["totals"][k] == oracle["totals"][k]
    assert [d["modelsUsed"] for d in ours["daily"]] == [d["modelsUsed"] for d in oracle["daily"]]


def test_session_totals_equal_ccusage_sessions(reads_claude_run):
    """ccusage's `session` report leaves out subagent usage known only from a parent's agent_progress
    lines (its `daily` report counts it): we count it everywhere, and this test pins that difference."""
    oracle = load_oracle("ccusage-session-utc.json")["session"]
    only_embedded = "embedded AND subagent NOT IN (SELECT subagent FROM turns WHERE NOT embedded AND subagent IS NOT NULL)"
    rows = query(f"""SELECT transcript_id, model, sum(tokens_in), sum(tokens_out), sum(cache_creation_tokens),
                            sum(cache_read_tokens), sum(estimated_usd)
                     FROM turn_costs WHERE NOT ({only_embedded}) GROUP BY ALL""")
    extra = query(f"SELECT transcript_id, model, sum(tokens_in + tokens_out + cache_creation_tokens + cache_read_tokens) "
                  f"FROM turns WHERE {only_embedded} GROUP BY ALL")
    daily_total = load_oracle("ccusage-daily-utc.json")["totals"]["totalTokens"]
    session_total = load_oracle("ccusage-session-utc.json")["totals"]["totalTokens"]
    assert extra == [("subagent", "claude-haiku-4-5-20251001", daily_total - session_total)]
    ours: dict[str, dict[str, tuple]] = defaultdict(dict)
    for tid, model, *vals in rows:
        ours[tid][model] = tuple(vals)
    assert set(ours) == {s["period"] for s in oracle}
    for s in oracle:
        for m in s["modelBreakdowns"]:
            i, o, cw, cr, usd = ours[s["period"]][m["modelName"]]
            assert (i, o, cw, cr) == (m["inputTokens"], m["outputTokens"], m["cacheCreationTokens"],
                                      m["cacheReadTokens"]), (s["period"], m["modelName"])
            assert abs(usd - m["cost"]) <= 0.005 * m["cost"]
        assert set(ours[s["period"]]) == set(s["modelsUsed"])


def test_other_timezone_rebuckets_days_from_the_warehouse(reads_claude_run):
    utc, tokyo = report("UTC"), report("Asia/Tokyo")
    assert utc["totals"]["totalTokens"] == tokyo["totals"]["totalTokens"]
    # 2026-02-10 21:00Z is 2026-02-11 06:00 in Tokyo: the first day moves.
    assert [d["period"] for d in tokyo["daily"]][0] == "2026-02-11"
