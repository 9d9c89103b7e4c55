"""Privacy tiers ordered by how much may leave; the effective tier is the lower of what the user asks and
what the license allows, and anything unknown counts as local (deny by default).

The one definition of the tiers: settings (CCP_PRIVACY_TIER), the license (entitlements), the upload gate,
the v1 models and the aggregator's models all take them from here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, get_args

PrivacyTier = Literal["local", "minimized", "full"]  # in order: each tier lets more leave than the one before
TIERS: Final[tuple[str, ...]] = get_args(PrivacyTier)
LOCAL, MINIMIZED, FULL = TIERS
PAYLOAD_TIERS: Final = (MINIMIZED, FULL)  # the tiers whose payloads leave the machine
TIER_ORDER: Final[Mapping[str, int]] = MappingProxyType({t: i for i, t in enumerate(TIERS)})


def normalize_tier(tier: str | None) -> str:
    """A known tier name (case and whitespace ignored), or "local" for anything else."""
    t = (tier or "").strip().lower()
    return t if t in TIER_ORDER else LOCAL


def min_tier(a: str | None, b: str | None) -> str:
    """The less permissive of two tiers; an unknown tier on either side yields "local"."""
    a, b = normalize_tier(a), normalize_tier(b)
    return a if TIER_ORDER[a] <= TIER_ORDER[b] else b


def tier_allows(tier: str | None, needed: str) -> bool:
    """Whether data that needs tier `needed` ("minimized" or "full") may leave under `tier`; an unknown
    `tier` allows nothing, an unknown `needed` is a programming error."""
    if needed not in (MINIMIZED, FULL):
        raise ValueError(f"needed must be {MINIMIZED!r} or {FULL!r}, not {needed!r}")
    return TIER_ORDER[normalize_tier(tier)] >= TIER_ORDER[needed]
