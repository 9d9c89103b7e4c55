"""What the license lets this machine send: the privacy tier actually in force.

The user asks for a tier with CCP_PRIVACY_TIER; the license caps it. The effective tier is the lower of
the two (local < minimized < full), and anything wrong with the license means local: no valid license,
no uploads, never the other way round.
"""

from __future__ import annotations

from typing import Any

from ccp_assets.licensing.cache import current_license
from ccp_assets.licensing.keyring import Keyring
from ccp_assets.licensing.pack import License
from ccp_assets.privacy.tiers import TIER_ORDER, TIERS


def license_tier(lic: License | None) -> str:
    """The highest tier a license entitles: telemetry_full -> full, telemetry_minimized -> minimized."""
    if lic is None:
        return "local"
    if lic.has("telemetry_full"):
        return "full"
    if lic.has("telemetry_minimized"):
        return "minimized"
    return "local"


def effective_tier(
    settings: Any,
    now: float | None = None,
    *,
    keyring: Keyring | None = None,
    device_hash: str | None = None,
) -> tuple[str, str]:
    """(tier, reason) = min(requested CCP_PRIVACY_TIER, what the license allows); local when no license."""
    requested = str(settings.privacy_tier)
    if requested not in TIERS:
        return "local", f"unknown CCP_PRIVACY_TIER {requested!r}: local only"
    lic, why = current_license(settings, now, keyring=keyring, device_hash=device_hash)
    if lic is None:
        if requested == "local":
            return "local", "CCP_PRIVACY_TIER=local requested"
        return "local", f"{why}: local only (requested {requested})"
    allowed = license_tier(lic)
    if TIER_ORDER[requested] <= TIER_ORDER[allowed]:
        return requested, f"CCP_PRIVACY_TIER={requested} requested; the {lic.plan} license allows {allowed}"
    return allowed, f"requested {requested}, capped to {allowed}: the {lic.plan} license allows {allowed}"
