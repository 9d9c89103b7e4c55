"""Who is uploading: the `X-CCP-License` header, verified offline on every request against the aggregator's
own trusted keys (and revocation list), at one `now` per request.

Device binding is the client's business: a device-bound license is checked against the device it names,
because this server is not that device and cannot attest which machine sent the request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from dataclasses import dataclass
from pathlib import Path

from ccp_assets.aggregator.ratelimit import FailureLimiter, TokenBuckets
from ccp_assets.licensing import (
    Keyring,
    License,
    LicenseError,
    RevocationList,
    builtin_keyring,
    canonical_bytes,
    keyring_from_file,
    verify_pack,
    verify_revocations,
)
from ccp_assets.licensing.jsonstrict import MAX_DOC_BYTES, read_capped
from ccp_assets.licensing.signed import open_envelope

log = logging.getLogger("ccp_assets.aggregator")
MAX_HEADER_CHARS = (MAX_DOC_BYTES * 4) // 3 + 4
IDEM_KEY_MAX = 200


class Denied(Exception):
    """A refused request: status (400/401/403/429) and a one-line reason that never contains the pack."""

    def __init__(
        self, status: int, detail: str, retry_after: int | None = None, *, www_authenticate: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after
        self.www_authenticate = www_authenticate  # a 401 a browser should answer with its login prompt


@dataclass(frozen=True)
class Trust:
    """The keys whose licenses this aggregator accepts, and the licenses/kids it refuses regardless."""

    keyring: Keyring
    revocations: RevocationList | None = None

    @classmethod
    def load(
        cls, keys_file: Path | None, revocations_file: Path | None, *, builtin: bool, now: float
    ) -> Trust:
        """Built-in keys (unless disabled) plus `keys_file`; the revocation list must verify against them."""
        ring = builtin_keyring() if builtin else Keyring()
        if keys_file is not None:
            ring = ring.merged(keyring_from_file(keys_file))
        revocations = None
        if revocations_file is not None:
            raw = read_capped(revocations_file)
            revocations = verify_revocations(raw, now=now, keyring=ring, check_expiry=False)
        return cls(ring, revocations)


def _decode_header(value: str) -> bytes:
    text = value.strip()
    if len(text) > MAX_HEADER_CHARS:
        raise Denied(401, "X-CCP-License header is too large to be a license pack")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, ValueError):
        raise Denied(401, "X-CCP-License is not base64 (expected base64 of the license pack JSON)") from None


def _claimed_device(raw: bytes) -> str:
    """The device the pack names (checked against itself, see module docstring); '' when none."""
    try:
        body, _ = open_envelope(raw, "license", "license pack")
    except LicenseError:
        return ""
    device = body.get("device")
    return device if isinstance(device, str) else ""


def authenticate(header: str | None, trust: Trust, now: float) -> License:
    """The verified License in the header, or Denied(401, reason)."""
    if not header:
        raise Denied(401, "missing X-CCP-License header (base64 of the license pack JSON)")
    raw = _decode_header(header)
    try:
        return verify_pack(
            raw,
            now=now,
            keyring=trust.keyring,
            revocations=trust.revocations,
            device_hash=_claimed_device(raw),
        )
    except LicenseError as e:
        raise Denied(401, f"license refused: {e.reason}") from None
    except Exception as e:  # hostile input must end in a 401, never a 500
        log.warning("license verification failed unexpectedly: %s", type(e).__name__)
        raise Denied(401, "license refused: could not be verified") from None


def require(lic: License, any_of: tuple[str, ...], what: str) -> None:
    """Denied(403) unless the license carries one of the features."""
    if not any(lic.has(f) for f in any_of):
        raise Denied(403, f"the {lic.plan} license is not entitled to {what} (needs {' or '.join(any_of)})")


def idempotency_key(value: str | None) -> str:
    """The Idempotency-Key header: 1-200 printable ASCII characters, else Denied(400)."""
    if value is None or not value.strip():
        raise Denied(400, "missing Idempotency-Key header")
    key = value.strip()
    if len(key) > IDEM_KEY_MAX or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise Denied(
            400, f"Idempotency-Key must be 1-{IDEM_KEY_MAX} printable ASCII characters without spaces"
        )
    return key


def safe_text(value: str) -> str:
    """A license string made storable as UTF-8 whatever code points a signer put in it (NUL too, which
    PostgreSQL's TEXT cannot hold)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def scope_of(lic: License) -> str:
    """Idempotency keys and rate limits belong to one license: "<kid>/<license_id>" (or a digest of it)."""
    ident = lic.license_id or "sha256:" + hashlib.sha256(canonical_bytes(lic.data)).hexdigest()[:32]
    return safe_text(f"{lic.kid}/{ident}")


def throttle(buckets: TokenBuckets, scope: str) -> None:
    """Denied(429) with the seconds to wait when this license has used up its token bucket."""
    wait = buckets.take(scope)
    if wait:
        raise Denied(429, f"rate limit for this license exceeded; retry in {wait} s", retry_after=wait)


class OperatorGate:
    """The operator bearer token, compared in constant time, with wrong tokens counted per client: after
    `limiter.max_failures` in the window the client gets 429 even with the right token (issue 14: the
    token could be guessed at full speed)."""

    def __init__(self, token: str | None, limiter: FailureLimiter) -> None:
        self.token, self.limiter = token, limiter

    def check(self, authorization: str | None, client: str) -> bool:
        """True for the operator; False when no token was offered; Denied(429) for a throttled client."""
        wait = self.limiter.retry_after(client)
        if wait:
            raise Denied(429, "too many wrong operator tokens from this client; try again later", wait)
        if not authorization or self.token is None:
            return False
        given = authorization.removeprefix("Bearer ").strip().encode("utf-8", "replace")
        if hmac.compare_digest(given, self.token.encode("utf-8")):
            return True
        self.limiter.failure(client)
        return False
