"""Tier order and capping: unknown means local."""

from __future__ import annotations

import pytest

from ccp_assets.privacy.tiers import TIER_ORDER, min_tier, normalize_tier, tier_allows


def test_order() -> None:
    assert dict(TIER_ORDER) == {"local": 0, "minimized": 1, "full": 2}


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("full", "minimized", "minimized"), ("minimized", "full", "minimized"), ("full", "full", "full"),
    ("local", "full", "local"), ("full", "local", "local"), (" FULL ", "full", "full"),
    ("full", "bogus", "local"), (None, "full", "local"), ("", "minimized", "local"),
])
def test_min_tier(a: str | None, b: str | None, expected: str) -> None:
    assert min_tier(a, b) == expected


def test_normalize_and_allows() -> None:
    assert normalize_tier("Minimized") == "minimized"
    assert normalize_tier("everything") == "local"
    assert tier_allows("full", "minimized") and tier_allows("full", "full") and tier_allows("minimized", "minimized")
    assert not tier_allows("minimized", "full") and not tier_allows("local", "minimized")
    assert not tier_allows("unknown", "minimized")
    with pytest.raises(ValueError):
        tier_allows("full", "local")
