"""What the license sensor watches and what the `license_state` asset records.

`fingerprint` is the sensor's cursor: a digest of every file that decides the license (the configured pack,
its last-known-good copy, the trusted-keys file, the cached policy pack and revocation list), the effective
tier, and the days left before the license or policy expires once that is within EXPIRY_WARN_DAYS (so an
expiring pack is noticed every day of its last fortnight, and again when it lapses).

`license_state` is what a person may read in the UI: plan, features, expiry, kid, the effective tier and
why, the policy version and retention. Never the pack, never its signature, never the device hash.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from ccp_assets.licensing import current_license, effective_tier, lkg_path, load_policy
from ccp_assets.licensing.jsonstrict import fmt_date
from ccp_assets.licensing.policy import POLICY_FILE
from ccp_assets.licensing.revocation import REVOCATIONS_FILE
from ccp_assets.licensing.store import state_file
from ccp_assets.privacy import tier_allows
from ccp_assets.settings import Settings

EXPIRY_WARN_DAYS = 14
DAY_S = 86400


def watched_files(settings: Settings) -> dict[str, Path | None]:
    return {
        "license_pack": Path(settings.license_pack),
        "license_lkg": lkg_path(settings),
        "trusted_keys": Path(settings.trusted_keys) if settings.trusted_keys else None,
        "policy": state_file(settings, POLICY_FILE),
        "revocations": state_file(settings, REVOCATIONS_FILE),
    }


def file_digest(path: Path | None) -> str | None:
    """Short sha256 of a small file's bytes; None when absent or unreadable."""
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read(1 << 20)).hexdigest()[:16]
    except OSError:
        return None


def days_left(exp: int | None, now: float) -> int | None:
    return None if exp is None else math.floor((exp - now) / DAY_S)


def fingerprint(settings: Settings, now: float) -> dict[str, Any]:
    """The license sensor's cursor (see the module docstring)."""
    lic, _ = current_license(settings, now)
    policy, _ = load_policy(settings, now)
    tier, _ = effective_tier(settings, now)
    lic_left = days_left(lic.exp if lic else None, now)
    pol_left = days_left(policy.exp if policy else None, now)
    return {
        "files": {k: file_digest(p) for k, p in watched_files(settings).items()},
        "license_valid": lic is not None,
        "tier": tier,
        "license_expiring_in_days": lic_left if lic_left is not None and lic_left <= EXPIRY_WARN_DAYS else None,
        "policy_expiring_in_days": pol_left if pol_left is not None and pol_left <= EXPIRY_WARN_DAYS else None,
    }


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Human names of what differs between two fingerprints."""
    if before is None:
        return ["first evaluation"]
    out = [f"{name} file changed" for name, digest in after["files"].items()
           if (before.get("files") or {}).get(name) != digest]
    if before.get("license_valid") != after["license_valid"]:
        out.append("license became valid" if after["license_valid"] else "license no longer valid")
    if before.get("tier") != after["tier"]:
        out.append(f"effective tier {before.get('tier')} -> {after['tier']}")
    for key, what in (("license_expiring_in_days", "license"), ("policy_expiring_in_days", "policy")):
        if before.get(key) != after[key] and after[key] is not None:
            out.append(f"{what} expires in {after[key]} day(s)")
    return out or ["state changed"]


def license_state(settings: Settings, now: float) -> dict[str, Any]:
    """The license as the UI shows it (no pack, no signature)."""
    lic, why = current_license(settings, now)
    tier, tier_why = effective_tier(settings, now)
    policy, policy_why = load_policy(settings, now)
    state: dict[str, Any] = {
        "license_valid": lic is not None,
        "license_reason": why,
        "requested_tier": settings.privacy_tier,
        "effective_tier": tier,
        "tier_reason": tier_why,
        "uploads_allowed": tier_allows(tier, "minimized"),
        "full_uploads_allowed": tier_allows(tier, "full"),
        "aggregator_configured": bool(settings.aggregator_url),
        "policy_in_force": policy is not None,
        "policy_reason": policy_why,
    }
    if lic is not None:
        state.update({
            "plan": lic.plan,
            "features": list(lic.features),
            "exp": lic.exp,
            "expires_on": lic.expires_on,
            "days_to_expiry": days_left(lic.exp, now),
            "kid": lic.kid,
            "bound_to_device": lic.device is not None,
        })
    if policy is not None:
        state.update({
            "policy_version": policy.version,
            "policy_kid": policy.kid,
            "policy_expires_on": fmt_date(policy.exp),
            "retention_days": policy.retention_days,
        })
    return state
