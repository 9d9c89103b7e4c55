"""One price for a Codex turn everywhere: `usage_cost` (its metadata and `cost_daily`), `daily_summary`'s
`cost_usd_by_source.codex`, `ccp report codex daily --json` and ccusage 20.0.24 agree, through a real Dagster run,
on turns above gpt-5.4's long-context threshold, a dated snapshot name and the dated `codex-auto-review` label.

The expected dollars are worked out below from gpt-5.4's rates per million tokens in prices.json (ccusage's:
2.5 input, 0.25 cached input, 15 output; above 272,000 input tokens, cached included, the whole request at
5 / 0.5 / 22.5). Before the view took the source's rules, `turn_costs` priced the snapshot name and the label at
0 (unknown models) and the plain gpt-5.4 request above the threshold per token kind ($1.09, not $1.79).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import tests.sources.codex.conftest as cx
from tests.conftest import CcpEnv
from tests.helpers import ccp, materialize_all, query

S = "sessions/2026/04/01/rollout-2026-04-01T00-00-00-long.jsonl"
# 2026-04-01, gpt-5.4-2026-03-05 (a dated snapshot of gpt-5.4, named as written):
#   300,000 input of which 100,000 cached, 1,000 output: above 272k, all at long-context rates;
#   100,000 input, 1,000 output: below it, base rates.
SNAPSHOT_USD = (200_000 * 5 + 100_000 * 0.5 + 1_000 * 22.5) / 1e6 + (100_000 * 2.5 + 1_000 * 15) / 1e6
# 2026-04-02, codex-auto-review (gpt-5.4 from 2026-03-05 on; reported as gpt-5.4, isFallback):
#   300,000 uncached input, 2,000 output: long context.
LABEL_USD = (300_000 * 5 + 2_000 * 22.5) / 1e6
# 2026-04-03, gpt-5.4: 400,000 input of which 50,000 cached, 500 output: long context.
PLAIN_USD = (350_000 * 5 + 50_000 * 0.5 + 500 * 22.5) / 1e6
WANT = {"2026-04-01": SNAPSHOT_USD, "2026-04-02": LABEL_USD, "2026-04-03": PLAIN_USD}
MODELS = {"2026-04-01": {"gpt-5.4-2026-03-05": False}, "2026-04-02": {"gpt-5.4": True},
          "2026-04-03": {"gpt-5.4": False}}


def _rollout(home: cx.CodexHome) -> None:
    home.write(S, cx.meta("2026-04-01T00:00:00Z", "long-1"),
               cx.ctx("2026-04-01T00:00:01Z", "gpt-5.4-2026-03-05"),
               cx.usage("2026-04-01T10:00:00Z", cx.tokens(300_000, 100_000, 1_000)),
               cx.usage("2026-04-01T11:00:00Z", cx.tokens(100_000, 0, 1_000)),
               cx.ctx("2026-04-02T00:00:00Z", "codex-auto-review"),
               cx.usage("2026-04-02T10:00:00Z", cx.tokens(300_000, 0, 2_000)),
               cx.ctx("2026-04-03T00:00:00Z", "gpt-5.4"),
               cx.usage("2026-04-03T10:00:00Z", cx.tokens(400_000, 50_000, 500)))


def _per_partition(asset: str) -> dict[str, dict[str, Any]]:
    """The latest materialization's metadata of `asset`, per partition."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        records = instance.fetch_materializations(AssetKey(asset), limit=100, ascending=True).records
    return {r.asset_materialization.partition: {k: getattr(v, "value", v)
                                                for k, v in r.asset_materialization.metadata.items()}
            for r in records}


def test_a_codex_turns_price_is_the_same_in_every_reading(codex_home: cx.CodexHome, ccp_env: CcpEnv) -> None:
    _rollout(codex_home)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome

    # usage_cost: its table and its per-day metadata
    cost_daily = dict(query("SELECT CAST(day AS VARCHAR), sum(estimated_usd) FROM cost_daily "
                            "WHERE source = 'codex' GROUP BY 1 ORDER BY 1"))
    assert cost_daily == pytest.approx(WANT, rel=1e-9)
    assert query("SELECT DISTINCT model FROM cost_daily WHERE NOT priced") == []
    meta = _per_partition("usage_cost")
    for day, usd in WANT.items():
        assert meta[day]["cost_usd_codex"] == pytest.approx(usd, abs=1e-6), day
        assert meta[day]["cost_usd_total"] == pytest.approx(usd, abs=1e-6), day
        assert meta[day]["cost_usd_by_source"] == {"codex": pytest.approx(usd, abs=1e-6)}, day

    # daily_summary: the rollup's cost_usd_by_source
    for day, usd in WANT.items():
        summary = json.loads((ccp_env.ccp_home / "rollups" / day / "metrics_summary.json").read_text())
        assert summary["cost_usd_by_source"] == {"codex": pytest.approx(usd, abs=1e-6)}, day
        assert summary["cost_usd_total"] == pytest.approx(usd, abs=1e-6), day

    # the CLI's ccusage-shaped report, and ccusage's own answer over the same CODEX_HOME
    env = {**ccp_env.env, "CODEX_HOME": str(codex_home.path)}
    got = json.loads(ccp(env, "report", "codex", "daily", "--json", "--offline").stdout)
    assert {d["date"]: d["costUSD"] for d in got["daily"]} == pytest.approx(WANT, rel=1e-9)
    assert {d["date"]: {m: v["isFallback"] for m, v in d["models"].items()} for d in got["daily"]} == MODELS
    if cx.CCUSAGE.exists():
        theirs = cx.run_ccusage(codex_home.path)
        assert {d["date"]: d["costUSD"] for d in theirs["daily"]} == pytest.approx(WANT, rel=1e-9)
        assert {d["date"]: {m: v["isFallback"] for m, v in d["models"].items()} for d in theirs["daily"]} == MODELS


def test_under_the_fast_tier_a_snapshot_name_is_fast_as_ccusage_spells_it(codex_home: cx.CodexHome) -> None:
    """Under service tier priority gpt-5.4 costs 2x (its fast_multiplier), so does gpt-5.4-20260305, but
    gpt-5.4-2026-03-05 costs 1x: measured with ccusage 20.0.24 (100,000 input tokens: $0.50, $0.50, $0.25)."""
    tier = cx.line("2026-04-01T00:00:00Z", "event_msg",
                   {"type": "thread_settings_applied", "thread_settings": {"service_tier": "priority"}})
    codex_home.write(S, tier, *(x for day, model in ((1, "gpt-5.4"), (2, "gpt-5.4-20260305"), (3, "gpt-5.4-2026-03-05"))
                                for x in (cx.ctx(f"2026-04-0{day}T00:00:01Z", model),
                                          cx.usage(f"2026-04-0{day}T10:00:00Z", cx.tokens(100_000)))))
    want = [2 * 100_000 * 2.5 / 1e6, 2 * 100_000 * 2.5 / 1e6, 100_000 * 2.5 / 1e6]
    assert [d["costUSD"] for d in cx.run_pipeline()["daily"]] == pytest.approx(want, rel=1e-9)
    if cx.CCUSAGE.exists():
        assert [d["costUSD"] for d in cx.run_ccusage(codex_home.path)["daily"]] == pytest.approx(want, rel=1e-9)
