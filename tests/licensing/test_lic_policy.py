"""Signed policy packs and revocation lists: verified, cached, never rolled back."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ccp_assets.licensing import (
    LicenseError,
    install_policy,
    install_revocations,
    load_policy,
    load_revocations,
)
from ccp_assets.licensing.issuing import mint_policy, mint_revocations
from ccp_assets.licensing.policy import POLICY_FILE

from .lic_helpers import NOW, Env

RULES = [{"name": "api-key", "pattern": r"sk-[A-Za-z0-9_-]{20,}", "action": "redact"}]


def policy(env: Env, version: int, *, days: float = 30, key: object = None, **over: object) -> str:
    kw = {
        "allowed_models": {"community": ["claude-*"], "pro": ["*"]},
        "retention_days": 90,
        "redaction_rules": RULES,
        "upload_limits": {"max_body_bytes": 1_000_000, "max_events_per_batch": 500},
    }
    kw.update(over)
    pack = mint_policy(key or env.key, env.kid, version, days, now=NOW - 60, **kw)  # type: ignore[arg-type]
    return json.dumps(pack, indent=2)


def test_policy_installs_and_loads(env: Env) -> None:
    p = install_policy(policy(env, 3), env.settings, NOW, keyring=env.keyring)
    assert p.version == 3 and p.retention_days == 90 and p.upload_limits["max_events_per_batch"] == 500
    assert p.model_allowed("community", "claude-sonnet-4-5") and not p.model_allowed("community", "gpt-5")
    assert p.model_allowed("pro", "gpt-5") and not p.model_allowed("nobody", "claude-x")
    assert p.redaction_rules[0].compiled().search("token sk-" + "a" * 30)
    loaded, why = load_policy(env.settings, NOW, keyring=env.keyring)
    assert loaded == p and "policy v3" in why


def test_policy_rollback_is_refused_and_cache_kept(env: Env) -> None:
    install_policy(policy(env, 5), env.settings, NOW, keyring=env.keyring)
    cached = (env.settings.state_dir / POLICY_FILE).read_bytes()
    for older in (5, 4, 1):
        with pytest.raises(
            LicenseError, match=f"policy rollback: version {older} is not newer than the cached version 5"
        ):
            install_policy(policy(env, older, retention_days=9999), env.settings, NOW, keyring=env.keyring)
    assert (env.settings.state_dir / POLICY_FILE).read_bytes() == cached
    assert install_policy(policy(env, 6), env.settings, NOW, keyring=env.keyring).version == 6


def test_rollback_floor_survives_expiry_of_the_cached_policy(env: Env) -> None:
    install_policy(policy(env, 5, days=1), env.settings, NOW, keyring=env.keyring)
    later = NOW + 3 * 86400
    assert load_policy(env.settings, later, keyring=env.keyring)[0] is None
    old = mint_policy(
        env.key,
        env.kid,
        4,
        30,
        now=later,
        allowed_models={},
        retention_days=1,
        redaction_rules=[],
        upload_limits={},
    )
    with pytest.raises(LicenseError, match="rollback"):
        install_policy(json.dumps(old), env.settings, later, keyring=env.keyring)


def test_policy_expired(env: Env) -> None:
    with pytest.raises(LicenseError, match=r"policy expired on 2026-05-2\d"):
        install_policy(policy(env, 1, days=0.0001), env.settings, NOW + 60, keyring=env.keyring)
    install_policy(policy(env, 1, days=1), env.settings, NOW, keyring=env.keyring)
    loaded, why = load_policy(env.settings, NOW + 2 * 86400, keyring=env.keyring)
    assert loaded is None and "policy expired on" in why


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        (
            {"redaction_rules": [{"name": "x", "pattern": "(", "action": "redact"}]},
            "pattern does not compile",
        ),
        ({"redaction_rules": [{"name": "x", "pattern": "a", "action": "shout"}]}, "action must be one of"),
        ({"redaction_rules": [{"name": "x"}]}, "must have string fields"),
        ({"allowed_models": {"pro": "gpt"}}, "allowed_models"),
        ({"upload_limits": {"max": -1}}, "upload_limits"),
    ],
)
def test_policy_bad_fields(env: Env, over: dict, fragment: str) -> None:
    with pytest.raises(LicenseError, match=fragment):
        install_policy(policy(env, 1, **over), env.settings, NOW, keyring=env.keyring)
    assert load_policy(env.settings, NOW, keyring=env.keyring)[0] is None


def test_policy_forged_or_untrusted(env: Env) -> None:
    with pytest.raises(LicenseError, match="signature mismatch"):
        install_policy(
            policy(env, 1, key=Ed25519PrivateKey.generate()), env.settings, NOW, keyring=env.keyring
        )
    doc = json.loads(policy(env, 1))
    doc["policy"]["retention_days"] = 36500
    with pytest.raises(LicenseError, match="signature mismatch"):
        install_policy(json.dumps(doc), env.settings, NOW, keyring=env.keyring)
    with pytest.raises(LicenseError, match="not a policy pack"):
        install_policy(env.raw(), env.settings, NOW, keyring=env.keyring)


def test_tampered_policy_cache_is_not_trusted(env: Env) -> None:
    install_policy(policy(env, 2), env.settings, NOW, keyring=env.keyring)
    path = env.settings.state_dir / POLICY_FILE
    doc = json.loads(path.read_text())
    doc["policy"]["allowed_models"]["community"] = ["*"]
    path.write_text(json.dumps(doc))
    loaded, why = load_policy(env.settings, NOW, keyring=env.keyring)
    assert loaded is None and "signature mismatch" in why


def test_revocations_rollback_and_expiry(env: Env) -> None:
    def rl(version: int, days: float = 30, ids: tuple[str, ...] = ("lic-a",)) -> str:
        return json.dumps(mint_revocations(env.key, env.kid, version, days, license_ids=ids, now=NOW - 60))

    install_revocations(rl(2), env.settings, NOW, keyring=env.keyring)
    with pytest.raises(LicenseError, match="revocation list rollback: version 1"):
        install_revocations(rl(1, ids=()), env.settings, NOW, keyring=env.keyring)
    with pytest.raises(LicenseError, match="revocation list expired on"):
        install_revocations(rl(3, days=0.0001), env.settings, NOW + 60, keyring=env.keyring)
    cached = load_revocations(env.settings, NOW + 365 * 86400, keyring=env.keyring)  # stale, still applies
    assert cached is not None and cached.version == 2 and "lic-a" in cached.license_ids
