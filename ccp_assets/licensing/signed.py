"""The envelope shared by license packs, policy packs and revocation lists: `{"<body>": {...}, "signature"}`.

One parser and one signature check for all three, so a fix to one is a fix to all. Each body carries its
own `schema` (checked before anything else), so a document signed as one kind can never be replayed as
another.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.exceptions import InvalidSignature

from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.jsonstrict import canonical_bytes, loads_strict, show
from ccp_assets.licensing.keyring import Keyring

SIGNATURE_BYTES = 64


def open_envelope(raw: bytes | str, body_field: str, what: str) -> tuple[dict[str, Any], Any]:
    """Parse strictly and return (body, signature field) without judging either yet."""
    doc = loads_strict(raw)
    if not isinstance(doc, dict) or body_field not in doc or "signature" not in doc:
        raise LicenseError(f"not a {what} (expected a JSON object with {body_field!r} and 'signature')")
    extra = sorted(set(doc) - {body_field, "signature"})
    if extra:
        raise LicenseError(f"unexpected top-level field {show(extra[0])} in the {what}")
    body = doc[body_field]
    if not isinstance(body, dict):
        raise LicenseError(f"field {body_field!r} of the {what} must be a JSON object")
    return body, doc["signature"]


def require_fields(body: dict[str, Any], names: tuple[str, ...], schema: str) -> None:
    """Presence first, then the schema tag: the two reasons a foreign document is refused."""
    for name in names:
        if name not in body:
            raise LicenseError(f"missing field {name!r}")
    if body["schema"] != schema:
        raise LicenseError(f"wrong schema {show(body['schema'])} (expected {schema!r})")


def want_str(body: dict[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise LicenseError(f"field {name!r} must be a non-empty string")
    return value


def want_int(body: dict[str, Any], name: str, *, optional: bool = False, minimum: int = 0) -> int | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise LicenseError(f"field {name!r} must be an integer")
    if value < minimum:
        raise LicenseError(f"field {name!r} must be at least {minimum}")
    return value


def want_str_list(body: dict[str, Any], name: str) -> tuple[str, ...]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LicenseError(f"field {name!r} must be a list of strings")
    return tuple(value)


def decode_signature(value: Any) -> bytes:
    if not isinstance(value, str):
        raise LicenseError("signature must be a base64 string")
    try:
        sig = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise LicenseError("signature is not valid base64") from None
    if len(sig) != SIGNATURE_BYTES:
        raise LicenseError(f"signature is {len(sig)} bytes, an Ed25519 signature is {SIGNATURE_BYTES}")
    return sig


def check_signature(body: dict[str, Any], signature: Any, keyring: Keyring, now: float, what: str) -> str:
    """Verify the body's canonical bytes against the key its `kid` names; returns the kid."""
    kid = want_str(body, "kid")
    assert kid is not None
    public = keyring.lookup(kid, now)
    sig = decode_signature(signature)
    try:
        public.verify(sig, canonical_bytes(body))
    except InvalidSignature:
        raise LicenseError(
            f"signature mismatch: the {what} was altered or not signed by kid {show(kid)}"
        ) from None
    return kid
