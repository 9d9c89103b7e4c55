"""Offline licensing: Ed25519-signed license packs, policy packs and revocation lists (INTERFACES.md).

What the rest of the code calls:
    effective_tier(settings, now=None) -> (tier, reason)          the privacy tier in force
    current_license(settings, now=None) -> (License | None, reason)
    load_policy(settings, now) -> (Policy | None, reason)           the cached, verified policy pack
    install_pack / install_policy / install_revocations             verify, then cache atomically
    verify_pack(raw, now=..., keyring=...) -> License               raises LicenseError(reason)
"""

from __future__ import annotations

from ccp_assets.licensing.cache import current_license, install_pack, lkg_path
from ccp_assets.licensing.device import device_hash
from ccp_assets.licensing.entitlements import TIERS, effective_tier, license_tier
from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.jsonstrict import MAX_DOC_BYTES, canonical_bytes
from ccp_assets.licensing.keyring import Keyring, TrustedKey, builtin_keyring, keyring_from_file, load_keyring
from ccp_assets.licensing.pack import LICENSE_SCHEMA, License, verify_pack
from ccp_assets.licensing.policy import Policy, RedactionRule, install_policy, load_policy, verify_policy
from ccp_assets.licensing.revocation import (
    RevocationList,
    install_revocations,
    load_revocations,
    verify_revocations,
)

__all__ = [
    "LICENSE_SCHEMA",
    "MAX_DOC_BYTES",
    "TIERS",
    "Keyring",
    "License",
    "LicenseError",
    "Policy",
    "RedactionRule",
    "RevocationList",
    "TrustedKey",
    "builtin_keyring",
    "canonical_bytes",
    "current_license",
    "device_hash",
    "effective_tier",
    "install_pack",
    "install_policy",
    "install_revocations",
    "keyring_from_file",
    "license_tier",
    "lkg_path",
    "load_keyring",
    "load_policy",
    "load_revocations",
    "verify_pack",
    "verify_policy",
    "verify_revocations",
]
