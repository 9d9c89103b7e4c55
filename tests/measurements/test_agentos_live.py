"""Codex E on the real AgentOS ledgers (fixtures/agentos/live, copied): the supersede rule by hand, and a day with
only AgentOS data still gets its summary, every number without an input null with its reason."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import FIXTURES
from tests.helpers import materialize_all, query
from tests.measurements.conftest import isolated_env, summary


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    data = shutil.copytree(FIXTURES / "agentos" / "live", tmp / "agentos")
    with isolated_env(tmp, {"CCP_AGENTOS_DATA_DIR": str(data)}) as ccp_home:
        outcome = materialize_all()
        assert outcome is not None and outcome.success, outcome and outcome.failures
        yield ccp_home


def test_codex_e_is_the_hand_arithmetic_with_the_supersede_rule(home):
    # windows.jsonl, keyed by the UTC day of finalized_at, latest finalized_at per window id:
    # 2025-10-19: W0-21 3 features / 11 pp, W0-19 2 / 6, W0-20 3 / 83, W0-CHP 2 / 3 (fiveh_pct deltas)
    day19 = summary(home, "2025-10-19")["efficiency_by_provider"]["codex"]
    assert (day19["features"], day19["capacity"]) == (3 + 2 + 3 + 2, 11 + 6 + 83 + 3)
    assert day19["e"] == pytest.approx((3 + 2 + 3 + 2) / (11 + 6 + 83 + 3), abs=1e-6)        # 10 / 103
    # 2025-10-20: W0-CHP-1 (00:35:02 supersedes 00:30:43) 2 / 5, W0-CHP-2 (03:54:36 supersedes 03:53:32: 3 pp)
    # 2 / 12, W0-CHP-3 (16:08:30 supersedes 15:33:57: 5 pp) 2 / 1
    day20 = summary(home, "2025-10-20")["efficiency_by_provider"]["codex"]
    assert (day20["features"], day20["capacity"]) == (2 + 2 + 2, 5 + 12 + 1)
    assert day20["e"] == pytest.approx((2 + 2 + 2) / (5 + 12 + 1), abs=1e-6)                  # 6 / 18
    # the superseded records stay queryable as history
    assert query("""SELECT "window", capacity_raw FROM windows WHERE superseded ORDER BY finalized_at""") == [
        ("W0-CHP-1", 5.0), ("W0-CHP-2", 3.0), ("W0-CHP-3", 5.0)]


def test_zero_capacity_makes_e_undefined_not_zero(home):
    s = summary(home, "2025-10-19")
    # W0-21C: Claude recorded 2 features on a bar that did not move (0 pp)
    assert s["efficiency_by_provider"]["claude"] == {"features": 2, "capacity": 0.0, "capacity_unit": "pp",
                                                     "e": None, "e_q": None}
    assert "claude E: capacity used is 0 pp, E undefined" in s["errors"]
    # the day's pp figure is over Codex and Claude windows together; no GLM, so no prompts key
    assert s["capacity_used"] == {"pp": 103.0}
    assert s["features_per_capacity"] == {"pp": pytest.approx(12 / 103, abs=1e-6)}


def test_an_agentos_only_day_gets_a_summary_with_named_gaps(home):
    s = summary(home, "2025-10-20")
    assert s["turns"] is None and s["sessions"] is None and s["tokens_by_model"] == {}
    assert s["features_shipped"] == 6 and s["features_basis"] == "windows"
    assert "features_shipped: no BDD results (CCP_REPO_DIR); counted from AgentOS windows" in s["errors"]
    assert s["avg_cls"] is None and any(e.startswith("avg_cls:") for e in s["errors"])
    assert s["avg_impf"] is None and any(e.startswith("avg_impf:") for e in s["errors"])
    # churn: no repository, so the tracker's window churn (net lines per feature: 0 that day) with the fallback named
    assert (s["avg_churn_score"], s["churn_source"]) == (0.0, "window_normalized_churn")
    assert "churn_7d/14d/28d: no repository configured (CCP_REPO_DIR)" in s["errors"]
    assert s["vs_previous_day"]["date"] == "2025-10-19"
    assert "codex E 0.09709 -> 0.3333" in s["vs_previous_day"]["better"]
    note = (home / "rollups" / "progress.log.md").read_text()
    assert "## 2025-10-20" in note and "- Shipped: 6 feature(s) (AgentOS windows)." in note
