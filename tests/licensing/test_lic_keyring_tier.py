"""Keyrings (built-in + CCP_TRUSTED_KEYS, rotation, retirement), device hashing and the effective tier."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ccp_assets.licensing import (
    LicenseError,
    builtin_keyring,
    current_license,
    effective_tier,
    install_pack,
    load_keyring,
)
from ccp_assets.licensing.device import DEVICE_SALT, device_hash, machine_id
from ccp_assets.licensing.issuing import public_b64
from ccp_assets.settings import load_settings

from .lic_helpers import DEVICE, NOW, Env


def test_builtin_keyring_ships_a_production_kid() -> None:
    ring = builtin_keyring()
    assert ring.kids() == ["ccp-prod-2026-1"]
    key = ring.keys["ccp-prod-2026-1"]
    assert len(key.public_key) == 32 and key.not_after is None


def test_trusted_keys_file_adds_to_builtin(env: Env) -> None:
    ring = load_keyring(env.settings)
    assert set(ring.kids()) == {"ccp-prod-2026-1", env.kid}


def test_trusted_keys_dict_form_with_not_after(tmp_path: Path) -> None:
    k = Ed25519PrivateKey.generate()
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {"keys": {"a": {"public_key": public_b64(k), "not_after": "2026-06-01"}, "b": public_b64(k)}}
        )
    )
    ring = load_keyring(load_settings({"CCP_HOME": str(tmp_path), "CCP_TRUSTED_KEYS": str(path)}))
    assert ring.lookup("a", NOW) is not None  # 2026-05-28 < 2026-06-01
    with pytest.raises(LicenseError, match=r"retired kid 'a' \(since 2026-06-01\)"):
        ring.lookup("a", NOW + 7 * 86400)
    assert ring.lookup("b", NOW + 7 * 86400) is not None


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("not json", "malformed JSON at position 0"),
        ('{"kid": "x"}', 'expected {"keys"'),
        ('{"keys": {"x": "!!"}}', "key 'x' is not valid base64"),
        ('{"keys": {"x": "AAAA"}}', "key 'x' is 3 bytes"),
        (
            '{"keys": {"x": {"public_key": "'
            + base64.b64encode(b"1" * 32).decode()
            + '", "not_after": "soon"}}}',
            "YYYY-MM-DD",
        ),
    ],
)
def test_bad_trusted_keys_file_is_a_clear_error(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    settings = load_settings({"CCP_HOME": str(tmp_path), "CCP_TRUSTED_KEYS": str(path)})
    with pytest.raises(LicenseError, match=fragment):
        load_keyring(settings)
    lic, why = current_license(settings, NOW)
    assert lic is None and str(path) in why


def test_conflicting_kid_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": {"ccp-prod-2026-1": public_b64(Ed25519PrivateKey.generate())}}))
    with pytest.raises(LicenseError, match="different public key"):
        load_keyring(load_settings({"CCP_HOME": str(tmp_path), "CCP_TRUSTED_KEYS": str(path)}))


def test_missing_trusted_keys_file(tmp_path: Path) -> None:
    settings = load_settings({"CCP_HOME": str(tmp_path), "CCP_TRUSTED_KEYS": str(tmp_path / "nope.json")})
    with pytest.raises(LicenseError, match="cannot read"):
        load_keyring(settings)


def test_device_hash_is_salted_sha256_of_machine_id(tmp_path: Path) -> None:
    mid = tmp_path / "machine-id"
    mid.write_text("0123456789abcdef\n")
    files = (tmp_path / "missing", mid)
    assert machine_id(files) == "0123456789abcdef"
    assert device_hash(files) == hashlib.sha256(DEVICE_SALT + b"0123456789abcdef").hexdigest()
    assert device_hash() == device_hash() and len(device_hash()) == 64
    assert machine_id((tmp_path / "none",))  # falls back to the host name


@pytest.mark.parametrize(
    ("requested", "features", "want"),
    [
        ("full", ["telemetry_minimized", "telemetry_full"], "full"),
        ("full", ["telemetry_minimized"], "minimized"),
        ("full", [], "local"),
        ("minimized", ["telemetry_full"], "minimized"),
        ("minimized", ["telemetry_minimized"], "minimized"),
        ("minimized", ["models_mixed"], "local"),
        ("local", ["telemetry_full"], "local"),
    ],
)
def test_effective_tier_is_the_lower_of_request_and_license(
    tmp_path: Path, requested: str, features: list[str], want: str
) -> None:
    from .lic_helpers import make_env

    env = make_env(tmp_path, {"CCP_PRIVACY_TIER": requested})
    install_pack(env.raw(features=features), env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)
    tier, why = effective_tier(env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)
    assert tier == want, why
    if want != requested:
        assert f"capped to {want}" in why


def test_effective_tier_without_a_valid_license_is_local(tmp_path: Path) -> None:
    from .lic_helpers import make_env

    env = make_env(tmp_path, {"CCP_PRIVACY_TIER": "full"})
    assert effective_tier(env.settings, NOW, keyring=env.keyring) == (
        "local",
        f"no license pack at {env.settings.license_pack}: local only (requested full)",
    )
    install_pack(env.raw(device=DEVICE), env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)
    assert effective_tier(env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)[0] == "full"
    later = NOW + 60 * 86400
    tier, why = effective_tier(env.settings, later, keyring=env.keyring, device_hash=DEVICE)
    assert tier == "local" and "expired on" in why
    tier, why = effective_tier(env.settings, NOW, keyring=env.keyring, device_hash="ef" * 32)
    assert tier == "local" and "wrong device" in why


def test_effective_tier_uses_the_configured_pack_file(tmp_path: Path) -> None:
    """CCP_LICENSE_PACK may point anywhere (the contract check does this) and the tier follows it."""
    from .lic_helpers import make_env

    env0 = make_env(tmp_path / "a")
    pack = tmp_path / "elsewhere.pack"
    pack.write_bytes(env0.raw(features=["telemetry_minimized"]))
    env = make_env(tmp_path / "b", {"CCP_PRIVACY_TIER": "full", "CCP_LICENSE_PACK": str(pack)})
    tier, why = effective_tier(env.settings, NOW, keyring=env0.keyring, device_hash=DEVICE)
    assert tier == "minimized", why
