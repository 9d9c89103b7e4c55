"""License packs: parse, verify offline, and say exactly why one is refused.

A pack is `{"license": {...}, "signature": "<base64 Ed25519>"}` (INTERFACES.md). The signature covers the
canonical bytes of `license` only, so a re-spaced or re-ordered file still verifies while any change to a
licensed value does not. Every check reads the same `now`, passed in by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ccp_assets.licensing.device import device_hash as this_device_hash
from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.jsonstrict import fmt_date, fmt_time, show
from ccp_assets.licensing.keyring import Keyring
from ccp_assets.licensing.signed import (
    check_signature,
    open_envelope,
    require_fields,
    want_int,
    want_str,
    want_str_list,
)

LICENSE_SCHEMA = "ccp.license.v1"
REQUIRED_FIELDS = ("schema", "kid", "plan", "features", "exp")
CLOCK_SKEW_S = 300  # a license minted on a server a few minutes ahead of this machine is still fine
PLANS = ("community", "trial", "pro", "enterprise")
ORG_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)


def is_org(value: str) -> bool:
    """A license's optional `org`: the team its devices are summed into (1-64 of [A-Za-z0-9._-])."""
    return ORG_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class License:
    """A verified license. Only `verify_pack` builds one, so holding a License means it was valid at `now`."""

    kid: str
    plan: str
    features: tuple[str, ...]
    exp: int
    iat: int | None = None
    device: str | None = None
    license_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict, hash=False)
    org: str | None = None  # the team (organisation); None: the license is its own team

    def has(self, feature: str) -> bool:
        return feature in self.features

    @property
    def expires_on(self) -> str:
        return fmt_date(self.exp)

    def summary(self) -> str:
        """One line for logs and the CLI: never the signature, never the device hash."""
        feats = ", ".join(self.features) or "none"
        return f"plan {self.plan}, features {feats}, expires {self.expires_on}, kid {self.kid}"


def _parse_license(body: dict[str, Any]) -> License:
    require_fields(body, REQUIRED_FIELDS, LICENSE_SCHEMA)
    kid, plan = want_str(body, "kid"), want_str(body, "plan")
    features = want_str_list(body, "features")
    exp = want_int(body, "exp")
    iat = want_int(body, "iat", optional=True)
    device = want_str(body, "device", optional=True)
    license_id = want_str(body, "license_id", optional=True)
    org = want_str(body, "org", optional=True)
    if org is not None and not is_org(org):
        raise LicenseError("license field 'org' must be 1-64 letters, digits, '.', '_' or '-'")
    assert kid is not None and plan is not None and exp is not None
    return License(kid, plan, features, exp, iat, device, license_id, dict(body), org)


def verify_pack(
    raw: bytes | str,
    *,
    now: float,
    keyring: Keyring,
    revocations: Any = None,
    device_hash: str | None = None,
) -> License:
    """The License in `raw` if it is valid at `now` on this device, else LicenseError(reason).

    `revocations` is a verified RevocationList (or None); `device_hash` defaults to this machine's.
    """
    body, signature = open_envelope(raw, "license", "license pack")
    lic = _parse_license(body)
    check_signature(body, signature, keyring, now, "license")
    if revocations is not None:
        if lic.kid in revocations.kids:
            raise LicenseError(f"revoked kid {show(lic.kid)} (revocation list v{revocations.version})")
        if lic.license_id is not None and lic.license_id in revocations.license_ids:
            raise LicenseError(
                f"revoked license id {show(lic.license_id)} (revocation list v{revocations.version})"
            )
    if now >= lic.exp:
        raise LicenseError(f"expired on {fmt_date(lic.exp)}")
    if lic.iat is not None and lic.iat > now + CLOCK_SKEW_S:
        raise LicenseError(
            f"issued in the future ({fmt_time(lic.iat)}, this machine says {fmt_time(now)}): clock tampering?"
        )
    if lic.device is not None:
        mine = device_hash if device_hash is not None else this_device_hash()
        if lic.device != mine:
            raise LicenseError("wrong device: this license is bound to another machine")
    return lic
