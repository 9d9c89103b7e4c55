"""Per-partition truth: one Dagster run over three days records, on each day's materialization, that day's own
figures (issue 13: every partition of `usage_cost` used to carry the whole run's 40.70, `daily_summary` the run's
`days_with_data` and `files_changed`).

Data: the real Claude Code fixture (2026-02-10 and 2026-02-12, whose figures ccusage 20.0.24 reports in
tests/fixtures/claude-code/ccusage-daily-utc.json) plus one hand-built transcript on 2026-02-11 whose cost is
worked out below from the published Sonnet 4.5 prices.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import CLAUDE_FIXTURE, MaterializedHome, load_oracle, materialize_into
from tests.helpers import report
from tests.measurements.conftest import Transcript

DAYS = ["2026-02-10", "2026-02-11", "2026-02-12"]
# 2026-02-11: three Sonnet 4.5 answers of 1,000 input and 200 output tokens each, at $3 / $15 per million:
# 3 x (1000 x 3 + 200 x 15) / 1e6 = 3 x 0.006 = $0.018.
HAND_DAY_USD = 3 * (1000 * 3.0 + 200 * 15.0) / 1e6


def _per_partition(asset: str) -> dict[str, list[dict[str, Any]]]:
    """Every materialization of `asset` recorded in the instance, grouped by partition, oldest first."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        records = instance.fetch_materializations(AssetKey(asset), limit=1000, ascending=True).records
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        mat = rec.asset_materialization
        out.setdefault(mat.partition, []).append({k: getattr(v, "value", v) for k, v in mat.metadata.items()})
    return out


@pytest.fixture(scope="module")
def three_day_home(tmp_path_factory: pytest.TempPathFactory) -> MaterializedHome:
    """One range run over the three days for both tests (they only read it)."""
    root = tmp_path_factory.mktemp("three-days")
    shutil.copytree(CLAUDE_FIXTURE, root / "claude")
    t = Transcript("11111111-2222-3333-4444-555555555555")
    for hour in (9, 10, 11):
        t.prompt(datetime(2026, 2, 11, hour, 0, tzinfo=UTC), "next step")
        t.answer(datetime(2026, 2, 11, hour, 1, tzinfo=UTC), tokens=(1000, 200))
    t.write(root / "claude")
    return materialize_into(root, root / "claude", start=DAYS[0], end=DAYS[-1])


@pytest.fixture
def three_day_run(three_day_home: MaterializedHome, monkeypatch: pytest.MonkeyPatch):
    return three_day_home.use(monkeypatch).outcome


def test_each_partition_of_one_range_run_carries_its_own_days_figures(three_day_run, three_day_home):
    assert three_day_run.start == DAYS[0] and three_day_run.end == DAYS[-1]  # one run over the three days
    by_day = {d["period"]: d for d in report()["daily"]}
    oracle = {d["period"]: d for d in load_oracle("ccusage-daily-utc.json")["daily"]}
    assert sorted(by_day) == DAYS
    assert by_day["2026-02-11"]["totalCost"] == pytest.approx(HAND_DAY_USD, rel=1e-9)
    for day in ("2026-02-10", "2026-02-12"):
        assert by_day[day]["totalCost"] == pytest.approx(oracle[day]["totalCost"], rel=0.01)

    cost = _per_partition("usage_cost")
    summary = _per_partition("daily_summary")
    assert sorted(cost) == DAYS and sorted(summary) == DAYS
    for day in DAYS:
        [c] = cost[day]  # one materialization per partition from the one run
        [s] = summary[day]
        want = by_day[day]["totalCost"]
        assert c["estimated_usd"] == pytest.approx(want, rel=1e-6), day
        assert c["counted_usd"] == pytest.approx(want, rel=1e-6), day
        assert c["cost_usd_total"] == pytest.approx(want, rel=1e-6), day
        assert c["cost_usd_claude_code"] == pytest.approx(want, rel=1e-6), day
        assert s["cost_usd_total"] == pytest.approx(want, rel=1e-6), day
        assert s["days_with_data"] == 1 and s["files_changed"] >= 1, day
        assert "Cost by source (USD, each call once): claude_code" in s["preview"], day
        on_disk = json.loads((three_day_home.ccp_home / "rollups" / day / "metrics_summary.json").read_text())
        assert s["turns"] == on_disk["turns"] and s["sessions"] == on_disk["sessions"], day
    assert cost["2026-02-11"][0]["counted_calls"] == 3
    # the three days' costs differ by orders of magnitude: no day shows the run's total
    run_total = sum(by_day[d]["totalCost"] for d in DAYS)
    assert all(cost[d][0]["estimated_usd"] < run_total * 0.95 for d in DAYS)
    # the ISO week's file was written once, and counted on one day only
    assert sum(summary[d][0]["files_changed"] for d in DAYS) == 3 + 1


def test_the_run_outcome_adds_the_partitions_up_for_the_cli(three_day_run):
    entry = three_day_run.materialized["usage_cost"]
    assert entry["partitions"] == 3 and sorted(entry["by_partition"]) == DAYS
    assert entry["metadata"]["counted_calls"] == sum(m["counted_calls"] for m in entry["by_partition"].values())
