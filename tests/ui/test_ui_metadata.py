"""What the UI says about the numbers (issue 15): glossaries in descriptions, plot order, notes apart from errors.

In-process on the real definitions and the real metadata builder of `daily_summary`; the browser test
(test_first_run.py) checks the same on a served UI after a real run.
"""

from __future__ import annotations

import re

from ccp_assets.assets.glossary import GLOSSARY
from ccp_assets.assets.rollups.daily import _day_metadata

DAY = "2026-02-12"
PROVISIONAL = "churn_14d: the 14-day window of 3 commit(s) is not over yet (provisional)"
SUMMARY = {
    "date": DAY, "sessions": 4, "turns": 104, "features_shipped": 2, "cost_usd_total": 1.317885,
    "cost_usd_by_source": {"claude_code": 1.271362, "ccp_proxy_only": 0.046523},
    "efficiency_by_provider": {"claude": {"e": 0.25, "e_q": 0.2, "capacity_unit": "pp", "features": 2, "capacity": 8}},
    "quality_adjusted_efficiency": {"pp": 0.2}, "avg_cls": -0.45, "avg_impf": 3.5, "avg_churn_score": 0.1,
    "tokens_by_model": {"claude-opus-4-6": {"total": 1000}}, "cost_usd_by_model": {"claude-opus-4-6": 1.317885},
    "errors": ["glm E_q: quality_score of 1 window(s) taken as 1 - churn_14d", PROVISIONAL],
}


def test_measurement_rollup_and_unified_descriptions_explain_their_names():
    from ccp_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    seen = 0
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.group_name not in ("measurements", "rollups", "unified"):
            continue
        seen += 1
        desc = node.description or ""
        assert "Glossary (docs/METRICS.md defines each):" in desc, key
        for term in re.findall(r"^- `([^`]+)`: ", desc, re.M):
            assert desc.count(f"- `{term}`: {GLOSSARY[term]}") == 1, (key, term)
    assert seen >= 10


def test_daily_summary_plots_cost_first_and_keeps_provisional_remarks_out_of_errors():
    meta = _day_metadata(SUMMARY)
    keys = list(meta)
    # The UI plots in the metadata's order: the day's USD, then volume and output, then where the cost came from.
    assert keys[:4] == ["cost_usd_total", "sessions", "turns", "features_shipped"], keys
    assert keys.index("cost_usd_claude_code") < keys.index("e_claude") < keys.index("avg_cls"), keys
    assert meta["turns"].value == 104 and isinstance(meta["turns"].value, int)
    assert meta["cost_usd_total"].value == 1.317885
    assert meta["errors"].value == ["glm E_q: quality_score of 1 window(s) taken as 1 - churn_14d"]
    assert meta["notes"].value == [PROVISIONAL]
    md = meta["progress_log"].value
    assert md.startswith(f"## {DAY}\n") and "- Shipped: 2 feature(s)." in md, md
    assert "- Missing data: glm E_q." in md and "- Provisional (window not over yet): churn_14d." in md, md
