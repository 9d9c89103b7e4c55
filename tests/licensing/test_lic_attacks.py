"""The attack suite: every forged, stale or damaged pack is refused with the exact reason, and the
last-known-good license stays installed and in force."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ccp_assets.licensing import (
    LicenseError,
    current_license,
    install_pack,
    install_revocations,
    lkg_path,
    verify_pack,
)
from ccp_assets.licensing.issuing import mint_revocations, public_b64, sign_envelope
from ccp_assets.licensing.keyring import Keyring, TrustedKey, parse_keyring

from .lic_helpers import DEVICE, NOW, OTHER_DEVICE, PLACEHOLDERS, Env


@pytest.fixture
def installed(env: Env) -> Env:
    """A good pack installed first, so every attack below has a last-known-good to destroy."""
    install_pack(env.raw(), env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)
    return env


def refuse(
    env: Env, raw: bytes | str, fragment: str, *, keyring: Keyring | None = None, now: float = NOW
) -> str:
    """Install must raise with `fragment` in the reason, leave both files as they were, and the good
    license must still be the one in force."""
    before = env.settings.license_pack.read_bytes()
    before_lkg = lkg_path(env.settings).read_bytes()
    good, _ = current_license(env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)
    with pytest.raises(LicenseError) as info:
        install_pack(raw, env.settings, now, keyring=keyring or env.keyring, device_hash=DEVICE)
    reason = info.value.reason
    assert fragment in reason, reason
    assert "\n" not in reason and len(reason) < 300
    sig = json.loads(env.raw())["signature"]
    assert sig not in reason and sig[:16] not in reason
    assert env.settings.license_pack.read_bytes() == before
    assert lkg_path(env.settings).read_bytes() == before_lkg
    after, _ = current_license(env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)
    assert after is not None and after == good
    return reason


def tamper(env: Env, field: str, value: object) -> bytes:
    """A genuine signature over the original license, with one licensed value changed afterwards."""
    pack = env.pack()
    pack["license"][field] = value
    return json.dumps(pack).encode()


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("plan", "enterprise", "signature mismatch"),
        ("plan", "prp", "signature mismatch"),
        ("features", ["telemetry_minimized", "telemetry_full", "models_mixed"], "signature mismatch"),
        ("features", ["telemetry_full"], "signature mismatch"),
        ("exp", int(NOW) + 10 * 365 * 86400, "signature mismatch"),
        ("iat", int(NOW) - 3599, "signature mismatch"),
        ("license_id", "lic-test-2", "signature mismatch"),
        ("device", DEVICE, "signature mismatch"),
        ("kid", "test-signer-2", "unknown kid 'test-signer-2'"),
        ("schema", "ccp.license.v2", "wrong schema 'ccp.license.v2'"),
    ],
)
def test_changed_field_is_refused(installed: Env, field: str, value: object, fragment: str) -> None:
    refuse(installed, tamper(installed, field, value), fragment)


def test_every_single_byte_flip_in_the_license_is_refused(installed: Env) -> None:
    raw = installed.raw()
    start = raw.index(b'"license"')
    end = raw.index(b'"signature"')
    for i in range(start, end):
        mutated = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        with pytest.raises(LicenseError):
            verify_pack(mutated, now=NOW, keyring=installed.keyring, device_hash=DEVICE)


def test_flipped_signature_byte(installed: Env) -> None:
    pack = installed.pack()
    sig = bytearray(base64.b64decode(pack["signature"]))
    sig[10] ^= 0x80
    pack["signature"] = base64.b64encode(bytes(sig)).decode()
    refuse(installed, json.dumps(pack), "signature mismatch")


def test_respaced_and_reordered_pack_verifies(installed: Env) -> None:
    pack = installed.pack()
    reordered = {"signature": pack["signature"], "license": dict(reversed(list(pack["license"].items())))}
    for text in (
        json.dumps(pack, indent=2),
        json.dumps(reordered, indent=4),
        json.dumps(pack, ensure_ascii=False),
    ):
        lic = install_pack(text, installed.settings, NOW, keyring=installed.keyring, device_hash=DEVICE)
        assert lic.license_id == "lic-test-1"
    escaped = json.dumps(pack).replace('"pro"', '"\\u0070ro"')  # same value, other bytes: canonical verifies
    assert verify_pack(escaped, now=NOW, keyring=installed.keyring, device_hash=DEVICE).plan == "pro"


def test_respacing_that_changes_a_value_is_refused(installed: Env) -> None:
    text = json.dumps(installed.pack(), indent=2).replace('"pro"', '"pro "')
    refuse(installed, text, "signature mismatch")
    as_float = json.dumps(installed.pack()).replace(
        f'"exp": {installed.license()["exp"]}', f'"exp": {installed.license()["exp"]}.0'
    )
    refuse(installed, as_float, "field 'exp' must be an integer")


def test_signed_by_an_untrusted_key_under_a_trusted_kid(installed: Env) -> None:
    refuse(installed, installed.raw(key=Ed25519PrivateKey.generate()), "signature mismatch")


def test_unknown_kid(installed: Env) -> None:
    rogue = Ed25519PrivateKey.generate()
    refuse(installed, installed.raw(key=rogue, kid="rogue-1"), "unknown kid 'rogue-1'")


def test_retired_kid(installed: Env) -> None:
    key = installed.keyring.keys[installed.kid]
    retired = Keyring({installed.kid: TrustedKey(key.kid, key.public_key, date(2026, 1, 1))})
    reason = refuse(installed, installed.raw(), "retired kid 'test-signer-1'", keyring=retired)
    assert "since 2026-01-01" in reason


def test_rotation_two_kids_at_once(env: Env) -> None:
    new = Ed25519PrivateKey.generate()
    ring = env.keyring.merged(parse_keyring({"keys": {"test-signer-2": public_b64(new)}}, "test"))
    for key, kid in ((env.key, env.kid), (new, "test-signer-2")):
        assert verify_pack(env.raw(key=key, kid=kid), now=NOW, keyring=ring, device_hash=DEVICE).kid == kid


def test_expired(installed: Env) -> None:
    raw = installed.raw(exp=int(NOW) - 86400)
    reason = refuse(installed, raw, "expired on 2026-05-27")
    assert reason == "expired on 2026-05-27"


def test_issued_in_the_future(installed: Env) -> None:
    refuse(installed, installed.raw(iat=int(NOW) + 3600), "issued in the future")
    # within the allowed clock skew it is fine
    assert verify_pack(
        installed.raw(iat=int(NOW) + 200), now=NOW, keyring=installed.keyring, device_hash=DEVICE
    )


def test_wrong_device(installed: Env) -> None:
    refuse(installed, installed.raw(device=OTHER_DEVICE), "wrong device")
    lic = install_pack(
        installed.raw(device=DEVICE), installed.settings, NOW, keyring=installed.keyring, device_hash=DEVICE
    )
    assert lic.device == DEVICE


def _revoke(env: Env, version: int, **what: list[str]) -> None:
    lst = mint_revocations(env.key, env.kid, version, 30, now=NOW - 60, **what)
    install_revocations(json.dumps(lst), env.settings, NOW, keyring=env.keyring)


def test_revoked_license_id(installed: Env) -> None:
    _revoke(installed, 1, license_ids=["lic-evil"])
    refuse(installed, installed.raw(license_id="lic-evil"), "revoked license id 'lic-evil'")


def test_revoked_kid(installed: Env) -> None:
    other = Ed25519PrivateKey.generate()
    ring = installed.keyring.merged(parse_keyring({"keys": {"old-kid": public_b64(other)}}, "test"))
    _revoke(installed, 1, kids=["old-kid"])
    refuse(installed, installed.raw(key=other, kid="old-kid"), "revoked kid 'old-kid'", keyring=ring)


def test_revoking_the_installed_license_turns_it_off(installed: Env) -> None:
    _revoke(installed, 1, license_ids=["lic-test-1"])
    lic, why = current_license(installed.settings, NOW, keyring=installed.keyring, device_hash=DEVICE)
    assert lic is None and "revoked license id 'lic-test-1'" in why


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "empty input"),
        (b"   \n", "empty input"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text at byte 0"),
        (b'{"license": {"schema": "ccp.li', "malformed JSON at position 23 (line 1, column 24)"),
        (b"[1, 2, 3]", "not a license pack"),
        (b'{"license": {}}', "not a license pack"),
        (b'{"license": [], "signature": "x"}', "must be a JSON object"),
        (b'{"license": {}, "signature": "x", "extra": 1}', "unexpected top-level field 'extra'"),
        (b'{"license": {"schema": "ccp.license.v1"}, "signature": "x"}', "missing field 'kid'"),
        (b'{"license": {"exp": NaN}, "signature": "x"}', "NaN is not allowed"),
        (b'{"license": {"exp": 1' + b"0" * 30 + b'}, "signature": "x"}', "more than 19 digits"),
        (b"[" * 100_000, "input too large"),
        (b"[" * 60_000, "nesting too deep"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
    ],
)
def test_garbage_truncated_huge(installed: Env, raw: bytes, fragment: str) -> None:
    refuse(installed, raw, fragment)


def test_truncated_real_pack(installed: Env) -> None:
    raw = installed.raw()
    for cut in (1, 10, len(raw) // 2, len(raw) - 1):
        refuse(installed, raw[:cut], "malformed JSON at position")


def test_duplicate_key_in_license_is_ambiguous(installed: Env) -> None:
    text = json.dumps(installed.pack()).replace('"plan": "pro"', '"plan": "pro", "plan": "enterprise"')
    refuse(installed, text, "duplicate key 'plan' in a JSON object (ambiguous pack)")


def test_wrong_schema_even_when_signed(installed: Env) -> None:
    refuse(installed, installed.raw(schema="ccp.policy.v1"), "wrong schema 'ccp.policy.v1'")


def test_bad_field_types_even_when_signed(installed: Env) -> None:
    refuse(installed, installed.raw(features="telemetry_full"), "field 'features' must be a list of strings")
    refuse(installed, installed.raw(exp=True), "field 'exp' must be an integer")


def test_signature_not_base64_or_wrong_length(installed: Env) -> None:
    pack = installed.pack()
    refuse(installed, json.dumps(dict(pack, signature="valid-sig")), "signature is not valid base64")
    refuse(installed, json.dumps(dict(pack, signature="AAAA")), "signature is 3 bytes")
    refuse(installed, json.dumps(dict(pack, signature=5)), "signature must be a base64 string")


@pytest.mark.parametrize("name", ["full_pack.json", "minimized_pack.json"])
def test_agentos_placeholder_packs_are_refused(installed: Env, name: str) -> None:
    copy = installed.tmp / name
    shutil.copyfile(PLACEHOLDERS / name, copy)
    refuse(installed, copy.read_bytes(), "unknown kid 'test-key'")
    # even a keyring that trusts some key called "test-key" does not accept the fake signature
    ring = installed.keyring.merged(
        parse_keyring({"keys": {"test-key": base64.b64encode(b"\x01" * 32).decode()}}, "t")
    )
    refuse(installed, copy.read_bytes(), "signature is not valid base64", keyring=ring)


def test_hand_damaged_installed_pack_falls_back_to_last_known_good(installed: Env) -> None:
    installed.settings.license_pack.write_text('{"license": {}, "signature": "x"}')
    lic, why = current_license(installed.settings, NOW, keyring=installed.keyring, device_hash=DEVICE)
    assert lic is not None and lic.license_id == "lic-test-1"
    assert "missing field 'schema'" in why and "last-known-good" in why


def test_no_license_at_all(env: Env) -> None:
    lic, why = current_license(env.settings, NOW, keyring=env.keyring, device_hash=DEVICE)
    assert lic is None and why.startswith("no license pack at ")


def test_cross_kind_replay_is_refused(installed: Env) -> None:
    """A validly signed policy body relabelled as a license fails on its schema."""
    body = dict(installed.license(), schema="ccp.policy.v1")
    refuse(installed, json.dumps(sign_envelope("license", body, installed.key)), "wrong schema")
