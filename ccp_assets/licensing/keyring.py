"""Which Ed25519 public keys this client trusts, selected by `kid`.

Two sources, merged: the keys built into the package (`trusted_keys.json`, shipped with the wheel) and the
operator's `CCP_TRUSTED_KEYS` file. Several kids can be trusted at once so keys rotate without a flag day:
ship the new kid, start signing with it, then give the old one a `not_after` date. From 00:00 UTC on that
date the old kid is retired and nothing it signed verifies any more.

File formats (both sources accept both entry forms):
    {"keys": {"<kid>": "<base64 raw 32-byte public key>"}}
    {"keys": {"<kid>": {"public_key": "<base64 raw>", "not_after": null | "YYYY-MM-DD"}}}
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.jsonstrict import loads_strict, read_capped, show

BUILTIN_SOURCE = "built-in"


@dataclass(frozen=True)
class TrustedKey:
    """One trusted public key and the day it stops being trusted (None = until replaced)."""

    kid: str
    public_key: bytes
    not_after: date | None = None
    source: str = BUILTIN_SOURCE

    def retired_at(self) -> float | None:
        """Epoch of 00:00 UTC on `not_after`: from then on the kid is retired."""
        if self.not_after is None:
            return None
        return datetime(self.not_after.year, self.not_after.month, self.not_after.day, tzinfo=UTC).timestamp()

    def public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)


@dataclass(frozen=True)
class Keyring:
    """An immutable set of trusted keys; `lookup` is the only way verification reaches a key."""

    keys: dict[str, TrustedKey] = field(default_factory=dict)

    def lookup(self, kid: str, now: float) -> Ed25519PublicKey:
        """The public key for `kid`, or a LicenseError naming why this kid cannot be used at `now`."""
        key = self.keys.get(kid)
        if key is None:
            raise LicenseError(f"unknown kid {show(kid)} (not among the trusted keys)")
        retired = key.retired_at()
        if retired is not None and key.not_after is not None and now >= retired:
            raise LicenseError(f"retired kid {show(kid)} (since {key.not_after.isoformat()})")
        return key.public()

    def kids(self) -> list[str]:
        return sorted(self.keys)

    def merged(self, other: Keyring) -> Keyring:
        """Union of two keyrings; a kid defined twice with different keys is a configuration error."""
        keys = dict(self.keys)
        for kid, key in other.keys.items():
            mine = keys.get(kid)
            if mine is not None and mine.public_key != key.public_key:
                raise LicenseError(
                    f"kid {show(kid)} in {key.source} has a different public key than in {mine.source}"
                )
            if mine is None or (key.not_after is not None and (mine.not_after or date.max) > key.not_after):
                keys[kid] = key  # same key twice: the earlier retirement date wins
        return Keyring(keys)


def _decode_public(kid: str, b64: Any, source: str) -> bytes:
    if not isinstance(b64, str):
        raise LicenseError(f"{source}: key {show(kid)} must be a base64 string")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise LicenseError(f"{source}: key {show(kid)} is not valid base64") from None
    if len(raw) != 32:
        raise LicenseError(f"{source}: key {show(kid)} is {len(raw)} bytes, an Ed25519 public key is 32")
    return raw


def _parse_not_after(kid: str, value: Any, source: str) -> date | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise LicenseError(f"{source}: not_after of key {show(kid)} must be YYYY-MM-DD or null") from None


def parse_keyring(doc: Any, source: str) -> Keyring:
    """Build a Keyring from a parsed keyring document (either entry form)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), dict):
        raise LicenseError(f'{source}: expected {{"keys": {{"<kid>": "<base64 public key>"}}}}')
    keys: dict[str, TrustedKey] = {}
    for kid, entry in doc["keys"].items():
        if not kid:
            raise LicenseError(f"{source}: empty kid")
        if isinstance(entry, dict):
            pub = _decode_public(kid, entry.get("public_key"), source)
            not_after = _parse_not_after(kid, entry.get("not_after"), source)
        else:
            pub, not_after = _decode_public(kid, entry, source), None
        keys[kid] = TrustedKey(kid, pub, not_after, source)
    return Keyring(keys)


def builtin_keyring() -> Keyring:
    """The keys shipped inside the package (production signing keys; private halves are not in the repo)."""
    text = resources.files("ccp_assets.licensing").joinpath("trusted_keys.json").read_text("utf-8")
    return parse_keyring(json.loads(text), BUILTIN_SOURCE)


def keyring_from_file(path: Path) -> Keyring:
    """A keyring file such as CCP_TRUSTED_KEYS or the `<kid>.pub.json` that `keygen` writes."""
    source = f"trusted keys file {path}"
    try:
        raw = read_capped(path)
    except OSError as e:
        raise LicenseError(f"{source}: cannot read ({e.strerror or e})") from None
    try:
        doc = loads_strict(raw)
    except LicenseError as e:
        raise LicenseError(f"{source}: {e.reason}") from None
    return parse_keyring(doc, source)


def load_keyring(settings: Any) -> Keyring:
    """Built-in keys plus `settings.trusted_keys` (CCP_TRUSTED_KEYS) when set."""
    ring = builtin_keyring()
    extra = getattr(settings, "trusted_keys", None)
    if extra is not None:
        ring = ring.merged(keyring_from_file(Path(extra)))
    return ring
