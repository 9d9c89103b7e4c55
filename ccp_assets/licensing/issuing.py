"""The operator's side: make signing keys and sign licenses, policy packs and revocation lists.

Clients never need this module (they only verify). The private key stays on the operator's machine as an
unencrypted PKCS#8 PEM with mode 0600; the `<kid>.pub.json` beside it is a keyring that clients can trust
through CCP_TRUSTED_KEYS or that is copied into the package's built-in `trusted_keys.json`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ccp_assets.licensing import clock
from ccp_assets.licensing.device import is_device_hash
from ccp_assets.licensing.jsonstrict import canonical_bytes
from ccp_assets.licensing.pack import LICENSE_SCHEMA, PLANS, is_org
from ccp_assets.licensing.policy import POLICY_SCHEMA
from ccp_assets.licensing.revocation import REVOCATIONS_SCHEMA

KID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # also a safe file name
DAY_S = 86400


def _check_kid(kid: str) -> None:
    if not KID_RE.match(kid):
        raise ValueError(f"kid {kid!r} must be 1-64 characters of letters, digits, '.', '_' or '-'")


def public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def keygen(kid: str, out_dir: Path) -> tuple[Path, Path]:
    """Write `<kid>.key` (private PEM, 0600, never overwritten) and `<kid>.pub.json` (a keyring)."""
    _check_kid(kid)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    key_path, pub_path = out_dir / f"{kid}.key", out_dir / f"{kid}.pub.json"
    if pub_path.exists():
        raise FileExistsError(f"{pub_path} already exists")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # refuse to clobber a key
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(key_path, 0o600)
    pub_path.write_text(json.dumps({"keys": {kid: public_b64(key)}}, indent=2) + "\n", "utf-8")
    return key_path, pub_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a PEM private key written by `keygen`."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def sign_envelope(body_field: str, body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """`{body_field: body, "signature": b64(Ed25519(canonical bytes of body))}`."""
    signature = base64.b64encode(key.sign(canonical_bytes(body))).decode("ascii")
    return {body_field: body, "signature": signature}


def build_license(
    kid: str,
    plan: str,
    features: list[str],
    days: float,
    *,
    device: str | None = None,
    license_id: str | None = None,
    now: float | None = None,
    org: str | None = None,
) -> dict[str, Any]:
    """The unsigned license body, validated so an operator typo fails here rather than on a client.
    `org` names the team the aggregator's team view sums this license's devices into (optional)."""
    _check_kid(kid)
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}, not {plan!r}")
    if days <= 0:
        raise ValueError("days must be positive")
    if device is not None and not is_device_hash(device):
        raise ValueError("device must be a device hash (64 lowercase hex digits, see `ccp license status`)")
    if org is not None and not is_org(org):
        raise ValueError(f"org must be 1-64 letters, digits, '.', '_' or '-' (got {org!r})")
    at = int(clock.now() if now is None else now)
    body: dict[str, Any] = {
        "schema": LICENSE_SCHEMA,
        "kid": kid,
        "plan": plan,
        "features": [f for f in features if f],
        "iat": at,
        "exp": at + int(days * DAY_S),
        "license_id": license_id or f"lic-{secrets.token_hex(8)}",
    }
    if device is not None:
        body["device"] = device
    if org is not None:
        body["org"] = org
    return body


def mint_with_key(
    key: Ed25519PrivateKey, kid: str, plan: str, features: list[str], days: float, **kw: Any
) -> dict:
    """A signed license pack from an in-memory key (the issuer service uses this)."""
    return sign_envelope("license", build_license(kid, plan, features, days, **kw), key)


def mint(private_key_file: Path, kid: str, plan: str, features: list[str], days: float, **kw: Any) -> dict[str, Any]:
    """A signed license pack (dict) from a key file; `json.dumps` it to get the file a client installs.
    Keyword arguments as `build_license` takes them (device, license_id, now, org)."""
    return mint_with_key(load_private_key(private_key_file), kid, plan, features, days, **kw)


def mint_policy(
    key: Ed25519PrivateKey,
    kid: str,
    version: int,
    days: float,
    *,
    allowed_models: dict[str, list[str]],
    retention_days: int,
    redaction_rules: list[dict[str, str]],
    upload_limits: dict[str, int],
    now: float | None = None,
) -> dict[str, Any]:
    """A signed policy pack (see policy.py for the fields)."""
    return _sign_versioned("policy", POLICY_SCHEMA, key, kid, version, days, now, {
        "allowed_models": allowed_models, "retention_days": retention_days,
        "redaction_rules": redaction_rules, "upload_limits": upload_limits})


def mint_revocations(
    key: Ed25519PrivateKey,
    kid: str,
    version: int,
    days: float,
    *,
    license_ids: Iterable[str] = (),
    kids: Iterable[str] = (),
    now: float | None = None,
) -> dict[str, Any]:
    """A signed revocation list."""
    return _sign_versioned("revocations", REVOCATIONS_SCHEMA, key, kid, version, days, now,
                           {"license_ids": sorted(license_ids), "kids": sorted(kids)})


def _sign_versioned(body_field: str, schema: str, key: Ed25519PrivateKey, kid: str, version: int, days: float,
                    now: float | None, fields: dict[str, Any]) -> dict[str, Any]:
    """A signed versioned document (policy pack, revocation list): schema, kid, version, iat, exp + fields."""
    at = int(clock.now() if now is None else now)
    body = {"schema": schema, "kid": kid, "version": version, "iat": at, "exp": at + int(days * DAY_S), **fields}
    return sign_envelope(body_field, body, key)
