"""The Codex price data is ccusage 20.0.24's: each model's rates measured again from the binary (skips without it),
and the cost rules (cached rate, reasoning inside output, long context for the whole request, fast tier) worked
out by hand through the package."""

from __future__ import annotations

import json
from importlib import resources

import pytest

import tests.sources.codex.conftest as cx

PRICES = json.loads(resources.files("ccp_assets.sources.codex").joinpath("prices.json").read_text())
MODELS = {m["model"]: m for m in PRICES["models"]}
N = 100_000
BIG = 300_000  # above the 272k long-context threshold
S = "sessions/2025/10/01/rollout-p.jsonl"


def tier(ts: str, value: str) -> str:
    return cx.line(ts, "event_msg", {"type": "thread_settings_applied", "thread_settings": {"service_tier": value}})


def measured(home: cx.CodexHome, model: str) -> dict[str, float]:
    """USD per million tokens of each kind, one kind per day, from ccusage's own report."""
    home.write(S, cx.ctx("2025-10-01T00:00:00Z", model),
               cx.usage("2025-10-01T11:00:00Z", cx.tokens(N)),
               cx.usage("2025-10-02T11:00:00Z", cx.tokens(N, N)),
               cx.usage("2025-10-03T11:00:00Z", cx.tokens(0, 0, N)),
               cx.usage("2025-10-04T11:00:00Z", {"input_tokens": N, "cache_creation_input_tokens": N}),
               cx.usage("2025-10-05T11:00:00Z", cx.tokens(BIG, 0, N)),
               tier("2025-10-06T00:00:00Z", "priority"), cx.usage("2025-10-06T11:00:00Z", cx.tokens(N)))
    cost = {d["date"][-2:]: d["costUSD"] for d in cx.run_ccusage(home.path)["daily"]}
    per_m = {k: cost[day] * 1e6 / N for k, day in (("input", "01"), ("cache_read", "02"), ("output", "03"),
                                                   ("cache_write_5m", "04"))}
    per_m["fast_multiplier"] = cost["06"] / cost["01"]
    per_m["big_request"] = cost["05"]
    return per_m


@cx.needs_ccusage
@pytest.mark.parametrize("model", sorted(MODELS))
def test_rates_are_ccusages(model: str, codex_home: cx.CodexHome) -> None:
    got, m = measured(codex_home, model), MODELS[model]
    for k in ("input", "cache_read", "output", "cache_write_5m"):
        assert got[k] == pytest.approx(m[k], rel=1e-9), k
    assert got["fast_multiplier"] == pytest.approx(m.get("fast_multiplier", 1.0), rel=1e-9)
    rates = m.get("long_context") or m
    assert got["big_request"] == pytest.approx((BIG * rates["input"] + N * rates["output"]) / 1e6, rel=1e-9)


def test_cost_rules_by_hand(codex_home: cx.CodexHome) -> None:
    """gpt-5: 1.25 input, 0.125 cached, 10 output per million (reasoning inside output, not billed again);
    gpt-5.4 under priority: 2x; above 272k input every token at the long-context 5 / 0.5 / 22.5."""
    codex_home.write(S, cx.ctx("2025-10-01T00:00:00Z", "gpt-5"),
                     cx.usage("2025-10-01T10:00:00Z", cx.tokens(1000, 200, 300, 100)),
                     cx.ctx("2025-10-02T00:00:00Z", "gpt-5.4"), tier("2025-10-02T00:00:01Z", "priority"),
                     cx.usage("2025-10-02T10:00:00Z", cx.tokens(300_000, 100_000, 1000)),
                     tier("2025-10-03T00:00:01Z", "default"),
                     cx.usage("2025-10-03T10:00:00Z", cx.tokens(272_000, 0, 1000)))
    cost = {d["date"]: d["costUSD"] for d in cx.run_pipeline()["daily"]}
    assert cost["2025-10-01"] == pytest.approx((800 * 1.25 + 200 * 0.125 + 300 * 10) / 1e6)
    assert cost["2025-10-02"] == pytest.approx(2 * (200_000 * 5 + 100_000 * 0.5 + 1000 * 22.5) / 1e6)
    assert cost["2025-10-03"] == pytest.approx((272_000 * 2.5 + 1000 * 15) / 1e6)  # at the threshold: base rates


def test_unknown_model_costs_nothing_and_is_named(codex_home: cx.CodexHome) -> None:
    from ccp_assets.settings import load_settings
    from ccp_assets.sources.codex.pricing import unpriced_models
    from ccp_assets.warehouse.resource import warehouse_for

    codex_home.write(S, cx.ctx("2025-10-01T00:00:00Z", "gpt-9-imaginary"), cx.usage("2025-10-01T10:00:00Z", cx.tokens(10)))
    assert cx.run_pipeline()["daily"][0]["costUSD"] == 0
    with warehouse_for(load_settings().warehouse_path).connect() as conn:
        assert unpriced_models(conn) == ["gpt-9-imaginary"]


CONFIGS = {'service_tier = "priority"\n': True, "[profiles.work]\nservice_tier = 'fast' # legacy\n": True,
           '# service_tier = "priority"\n': False, 'service_tier = "default"\n': False}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_config_toml_makes_unclassified_turns_fast(config: str, codex_home: cx.CodexHome) -> None:
    """gpt-5.4 100k input: $0.25 standard, x2 fast; a turn a settings line classified keeps its tier."""
    codex_home.write(S, cx.ctx("2025-10-01T00:00:00Z", "gpt-5.4"), cx.usage("2025-10-01T10:00:00Z", cx.tokens(N)),
                     tier("2025-10-02T00:00:00Z", "default"), cx.usage("2025-10-02T10:00:00Z", cx.tokens(N)))
    (codex_home.path / "config.toml").write_text(config)
    want = [0.25 * (2 if CONFIGS[config] else 1), 0.25]
    assert [d["costUSD"] for d in cx.run_pipeline()["daily"]] == pytest.approx(want)
    if cx.CCUSAGE.exists():
        assert [d["costUSD"] for d in cx.run_ccusage(codex_home.path)["daily"]] == pytest.approx(want)
