"""Weekly IMPF is recomputed from the week's sums (METRICS.md "Periods longer than a day"), on hand-built daily
summaries: a day that shipped nothing still spent interaction minutes, and a day without transcripts still
shipped features."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccp_assets.assets.rollups.files import daily_summary_path
from ccp_assets.assets.rollups.weekly import build_weekly_summary


def _daily(root: Path, day: str, minutes: float | None, shipped: int | None, impf: float | None) -> None:
    p = daily_summary_path(root, day)
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps({"date": day, "interaction_minutes": minutes, "features_shipped": shipped,
                             "avg_impf": impf, "errors": []}))


def test_weekly_impf_is_the_weeks_minutes_over_the_weeks_features(tmp_path):
    # ISO week 2025-W42 (Mon 2025-10-13):
    _daily(tmp_path, "2025-10-13", 350.0, 0, None)     # 350 min of prompting, nothing shipped: daily IMPF undefined
    _daily(tmp_path, "2025-10-14", 57.0, 2, 28.5)      # 57 min, 2 features: daily IMPF 28.5
    _daily(tmp_path, "2025-10-15", None, 3, None)      # no transcript that day, 3 features shipped
    week = build_weekly_summary(tmp_path, "2025-10-15")
    # by hand: (350 + 57) min / (0 + 2 + 3) features = 407 / 5 = 81.4 (pairing day by day gave 57 / 2 = 28.5)
    assert week["interaction_minutes"] == 407.0 and week["features_shipped"] == 5
    assert week["avg_impf"] == pytest.approx(81.4)


def test_a_week_without_a_shipped_feature_has_no_impf_and_says_why(tmp_path):
    _daily(tmp_path, "2025-10-13", 12.0, 0, None)
    week = build_weekly_summary(tmp_path, "2025-10-13")
    assert week["avg_impf"] is None
    assert "avg_impf: no feature shipped this week: minutes per feature undefined" in week["errors"]
