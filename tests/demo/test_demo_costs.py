"""One cost story on the demo: the proxy log is linked to the transcripts by the upstream request id, so the week's
summaries count each API call once and reconcile with `ccp report daily` (issue 13: they said $39.49 for the
report's $7.68, because only 98 of 378 turns joined and the rest were added as extra calls).

Expected values come from the generated files themselves (transcript request ids, proxy completion lines) and from
the plan table's data, not from the code that builds the summaries.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.demo.conftest import Corpus, split_objects
from tests.helpers import materialize_all, query, report
from tests.measurements.conftest import isolated_env

REPO = Path(__file__).resolve().parents[2]


def _transcript_request_ids(corpus: Corpus) -> set[str]:
    """Every API response the transcripts hold: assistant lines with a requestId (a response streams over
    several lines with the same id; `<synthetic>` and API-error messages have none)."""
    return {d["requestId"] for p in corpus.transcripts() for d in corpus.lines(p)
            if d.get("type") == "assistant" and d.get("requestId")}


def _proxy_completions(corpus: Corpus) -> list[dict[str, Any]]:
    """Answered calls in the proxy log: lines without an `event` that name a model (SOURCES.md section 2)."""
    out = []
    for path in sorted((corpus.out / "ccp").glob("usage*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            out += [o for o in split_objects(line) if o and "event" not in o and o.get("model")]
    return out


@pytest.fixture(scope="module")
def demo_run(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {k: v for k, v in corpus.manifest.env().items() if k != "CCP_START_DATE"}
    # the reconciliation is the transcripts' and the proxy's: sources whose demo stands alone (Codex: calls of
    # its own, its own agent in the report) are pointed at an empty folder here
    off = tmp_path_factory.mktemp("standalone_sources_off")
    env |= dict.fromkeys(corpus.manifest.source_env, str(off))
    with isolated_env(tmp_path_factory.mktemp("demo_costs"), env) as ccp_home:
        outcome = materialize_all()
        assert outcome is not None and outcome.success, outcome and outcome.failures
        weeks = [json.loads(p.read_text()) for p in sorted((ccp_home / "rollups" / "weekly").glob("*/metrics_summary.json"))]
        days = [json.loads(p.read_text()) for p in sorted((ccp_home / "rollups").glob("20*/metrics_summary.json"))]
        yield {"weeks": weeks, "days": days, "report": report(), "home": ccp_home}


def test_every_transcript_call_has_its_proxy_line(corpus: Corpus) -> None:
    ids = _transcript_request_ids(corpus)
    linked = Counter(c["request_id"] for c in _proxy_completions(corpus) if c.get("request_id") in ids)
    assert len(ids) > 300
    assert set(linked) == ids and set(linked.values()) == {1}  # one answered attempt per call


def test_week_counts_each_call_once_and_reconciles_with_the_report(corpus: Corpus, demo_run: dict) -> None:
    ids = _transcript_request_ids(corpus)
    completions = _proxy_completions(corpus)
    proxy_only = [c for c in completions if c.get("request_id") not in ids]
    rerouted = [c["request_id"] for c in completions if c.get("request_id") in ids and c["lane"] == "zai"]
    weeks = [w for w in demo_run["weeks"] if w.get("turns")]
    assert weeks
    # calls: every transcript call once, plus the proxy's calls no transcript has (background calls, lost files)
    assert sum(w["turns"] for w in weeks) == len(ids) + len(proxy_only)

    # cost: the transcripts' cost as the report prices it, except that a call the proxy sent to GLM costs one
    # subscription prompt (plan price / prompt cap) instead of its Claude tokens ...
    plans = json.loads((REPO / "ccp_assets" / "measurements" / "plans_v1.json").read_text())
    plan = plans["plans"][plans["default"]["zai"]]
    per_prompt = plan["price_usd"] / plan["prompt_cap"]  # 30 / 86400
    as_claude = query("SELECT coalesce(sum(estimated_usd), 0) FROM turn_costs WHERE source = 'claude_code' "
                      "AND request_id IN (SELECT unnest(?))", [rerouted])[0][0]
    report_total = demo_run["report"]["totals"]["totalCost"]
    by_source: Counter[str] = Counter()
    for w in weeks:
        by_source.update(w["cost_usd_by_source"])
    assert by_source["claude_code"] == pytest.approx(report_total - as_claude + len(rerouted) * per_prompt, abs=1e-4)
    # ... plus what the proxy-only calls cost: at most their tokens at the dearest price of the demo's models
    # (Opus 4.6, $5 / $25 per million), and nothing from any other source on these days
    bound = sum(c.get("input_tokens", 0) * 5.0 + c.get("output_tokens", 0) * 25.0 for c in proxy_only) / 1e6
    assert 0 < by_source["ccp_proxy_only"] <= bound + len(proxy_only) * per_prompt
    assert set(by_source) == {"claude_code", "ccp_proxy_only"}
    total = sum(w["cost_usd_total"] for w in weeks)
    assert total == pytest.approx(sum(by_source.values()), abs=1e-5)
    assert total < report_total * 1.5  # was 5x


def test_cost_by_source_sums_to_the_total_every_day(demo_run: dict) -> None:
    priced = [d for d in demo_run["days"] if d.get("cost_usd_total") is not None]
    assert len(priced) == 7
    for d in priced:
        assert sum(d["cost_usd_by_source"].values()) == pytest.approx(d["cost_usd_total"], abs=1e-5), d["date"]
    for w in demo_run["weeks"]:
        if w.get("cost_usd_total") is not None:
            assert sum(w["cost_usd_by_source"].values()) == pytest.approx(w["cost_usd_total"], abs=1e-5)
