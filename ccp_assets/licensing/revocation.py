"""Signed revocation lists: license ids and kids that must no longer verify, whatever their expiry.

`{"revocations": {"schema": "ccp.revocations.v1", "kid", "version", "exp", "license_ids": [...],
"kids": [...], "iat"?}, "signature"}`, signed like a license. A newer list (higher `version`) replaces the
cached one; an older or equal one is refused as a rollback, so an attacker cannot un-revoke by replaying
an old list. Installing refuses an expired list (it is stale), but the cached list keeps applying after its
`exp`: a revocation never lapses just because the next list has not arrived yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.jsonstrict import fmt_date, read_capped
from ccp_assets.licensing.keyring import Keyring, load_keyring
from ccp_assets.licensing.signed import (
    check_signature,
    open_envelope,
    require_fields,
    want_int,
    want_str_list,
)
from ccp_assets.licensing.store import atomic_write, state_file

REVOCATIONS_SCHEMA = "ccp.revocations.v1"
REVOCATIONS_FILE = "revocations.json"


@dataclass(frozen=True)
class RevocationList:
    """A verified revocation list."""

    kid: str
    version: int
    exp: int
    license_ids: frozenset[str]
    kids: frozenset[str]


def verify_revocations(
    raw: bytes | str, *, now: float, keyring: Keyring, check_expiry: bool = True
) -> RevocationList:
    """The RevocationList in `raw`, or LicenseError(reason)."""
    body, signature = open_envelope(raw, "revocations", "revocation list")
    require_fields(body, ("schema", "kid", "version", "exp", "license_ids", "kids"), REVOCATIONS_SCHEMA)
    version, exp = want_int(body, "version"), want_int(body, "exp")
    ids, kids = want_str_list(body, "license_ids"), want_str_list(body, "kids")
    kid = check_signature(body, signature, keyring, now, "revocation list")
    assert version is not None and exp is not None
    if check_expiry and now >= exp:
        raise LicenseError(f"revocation list expired on {fmt_date(exp)}")
    return RevocationList(kid, version, exp, frozenset(ids), frozenset(kids))


def load_revocations(settings: Any, now: float, keyring: Keyring | None = None) -> RevocationList | None:
    """The cached list, re-verified (not trusted just because it is on disk); None when absent or bad."""
    path = state_file(settings, REVOCATIONS_FILE)
    if not path.exists():
        return None
    try:
        ring = keyring if keyring is not None else load_keyring(settings)
        return verify_revocations(read_capped(path), now=now, keyring=ring, check_expiry=False)
    except (LicenseError, OSError):
        return None


def install_revocations(
    raw: bytes | str, settings: Any, now: float, keyring: Keyring | None = None
) -> RevocationList:
    """Verify, refuse rollbacks, then cache atomically; a refused list leaves the cached one in place."""
    ring = keyring if keyring is not None else load_keyring(settings)
    new = verify_revocations(raw, now=now, keyring=ring)
    old = load_revocations(settings, now, ring)
    if old is not None and new.version <= old.version:
        raise LicenseError(
            f"revocation list rollback: version {new.version} is not newer than the cached {old.version}"
        )
    atomic_write(state_file(settings, REVOCATIONS_FILE), raw.encode("utf-8") if isinstance(raw, str) else raw)
    return new
