"""The installed license and its last-known-good copy.

`install_pack` writes only what verifies, to `settings.license_pack` and to `state_dir/license.lkg`; a bad
new pack raises and touches neither, so it can never replace a good one. `current_license` re-verifies on
every call (a cached file is not trusted just because it is on disk) and, when the configured pack is
missing, damaged or replaced by hand with something invalid, falls back to the last-known-good copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccp_assets.licensing import clock
from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.jsonstrict import read_capped
from ccp_assets.licensing.keyring import Keyring, load_keyring
from ccp_assets.licensing.pack import License, verify_pack
from ccp_assets.licensing.revocation import load_revocations
from ccp_assets.licensing.store import atomic_write, state_file

LKG_FILE = "license.lkg"


def lkg_path(settings: Any) -> Path:
    return state_file(settings, LKG_FILE)


def install_pack(
    raw: bytes | str,
    settings: Any,
    now: float | None = None,
    *,
    keyring: Keyring | None = None,
    device_hash: str | None = None,
) -> License:
    """Verify `raw` and, only if it is valid, make it the installed pack and the last-known-good."""
    at = clock.now() if now is None else now
    ring = keyring if keyring is not None else load_keyring(settings)
    revocations = load_revocations(settings, at, ring)
    lic = verify_pack(raw, now=at, keyring=ring, revocations=revocations, device_hash=device_hash)
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    atomic_write(lkg_path(settings), data)
    atomic_write(Path(settings.license_pack), data)
    return lic


def _verify_file(path: Path, at: float, ring: Keyring, revocations: Any, device_hash: str | None) -> License:
    try:
        raw = read_capped(path)
    except FileNotFoundError:
        raise LicenseError(f"no license pack at {path}") from None
    except OSError as e:
        raise LicenseError(f"cannot read {path} ({e.strerror or e})") from None
    try:
        return verify_pack(raw, now=at, keyring=ring, revocations=revocations, device_hash=device_hash)
    except LicenseError as e:
        raise LicenseError(f"{path}: {e.reason}") from None


def current_license(
    settings: Any,
    now: float | None = None,
    *,
    keyring: Keyring | None = None,
    device_hash: str | None = None,
) -> tuple[License | None, str]:
    """(the License in force, why) or (None, the one-line reason there is none)."""
    at = clock.now() if now is None else now
    try:
        ring = keyring if keyring is not None else load_keyring(settings)
    except LicenseError as e:
        return None, e.reason
    revocations = load_revocations(settings, at, ring)
    primary = Path(settings.license_pack)
    try:
        lic = _verify_file(primary, at, ring, revocations, device_hash)
        return lic, f"license valid until {lic.expires_on}"
    except LicenseError as e:
        reason = e.reason
    lkg = lkg_path(settings)
    if lkg.exists() and lkg.resolve() != primary.resolve():
        try:
            lic = _verify_file(lkg, at, ring, revocations, device_hash)
            return lic, f"{reason}; using the last-known-good license (valid until {lic.expires_on})"
        except LicenseError:
            pass
    return None, reason
