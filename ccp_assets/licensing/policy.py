"""Signed policy packs: routing and telemetry rules the operator can change without a client release.

`{"policy": {...}, "signature"}`, signed like a license (canonical bytes, `kid`). Body fields:
    schema "ccp.policy.v1", kid, version (int), exp (epoch), iat?,
    allowed_models {plan: [model glob, ...]}, retention_days (int),
    redaction_rules [{name, pattern (regex), action: redact|hash|drop}], upload_limits {name: int}.
`version` only goes up: installing a version lower than or equal to the cached one is refused as a
rollback, so an old, laxer policy cannot be replayed. An expired policy is refused at install and stops
being returned by `load_policy` (callers fall back to their built-in defaults).
Whether a plan may use policy packs at all is the license's `policy_packs` feature, checked by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ccp_assets.licensing.errors import LicenseError
from ccp_assets.licensing.jsonstrict import fmt_date, read_capped, show
from ccp_assets.licensing.keyring import Keyring, load_keyring
from ccp_assets.licensing.signed import check_signature, open_envelope, require_fields, want_int
from ccp_assets.licensing.store import atomic_write, state_file

POLICY_SCHEMA = "ccp.policy.v1"
POLICY_FILE = "policy.json"
POLICY_FIELDS = (
    "schema",
    "kid",
    "version",
    "exp",
    "allowed_models",
    "retention_days",
    "redaction_rules",
    "upload_limits",
)
REDACTION_ACTIONS = ("redact", "hash", "drop")
MAX_PATTERN_CHARS = 512


@dataclass(frozen=True)
class RedactionRule:
    name: str
    pattern: str
    action: str

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)


@dataclass(frozen=True)
class Policy:
    """A verified policy pack."""

    kid: str
    version: int
    exp: int
    allowed_models: dict[str, tuple[str, ...]]
    retention_days: int
    redaction_rules: tuple[RedactionRule, ...]
    upload_limits: dict[str, int]
    iat: int | None = None
    data: dict[str, Any] = field(default_factory=dict, hash=False)

    def model_allowed(self, plan: str, model: str) -> bool:
        """True when `model` matches one of the globs listed for `plan` (unknown plan: nothing allowed)."""
        return any(fnmatchcase(model, pat) for pat in self.allowed_models.get(plan, ()))


def _allowed_models(value: Any) -> dict[str, tuple[str, ...]]:
    ok = isinstance(value, dict) and all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in value.values()
    )
    if not ok:
        raise LicenseError("field 'allowed_models' must map each plan to a list of model names")
    return {plan: tuple(models) for plan, models in value.items()}


def _rules(value: Any) -> tuple[RedactionRule, ...]:
    if not isinstance(value, list):
        raise LicenseError("field 'redaction_rules' must be a list of {name, pattern, action}")
    rules = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("name", "pattern", "action")
        ):
            raise LicenseError(f"redaction rule #{i} must have string fields name, pattern and action")
        rule = RedactionRule(item["name"], item["pattern"], item["action"])
        if rule.action not in REDACTION_ACTIONS:
            raise LicenseError(
                f"redaction rule {show(rule.name)}: action must be one of {', '.join(REDACTION_ACTIONS)}"
            )
        if len(rule.pattern) > MAX_PATTERN_CHARS:
            raise LicenseError(
                f"redaction rule {show(rule.name)}: pattern longer than {MAX_PATTERN_CHARS} characters"
            )
        try:
            rule.compiled()
        except re.error as e:
            raise LicenseError(f"redaction rule {show(rule.name)}: pattern does not compile ({e})") from None
        rules.append(rule)
    return tuple(rules)


def _limits(value: Any) -> dict[str, int]:
    ok = isinstance(value, dict) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value.values()
    )
    if not ok:
        raise LicenseError("field 'upload_limits' must map names to non-negative integers")
    return dict(value)


def verify_policy(
    raw: bytes | str, *, now: float, keyring: Keyring, cached_version: int | None = None
) -> Policy:
    """The Policy in `raw` if signed by a trusted kid, unexpired and newer than `cached_version`."""
    body, signature = open_envelope(raw, "policy", "policy pack")
    require_fields(body, POLICY_FIELDS, POLICY_SCHEMA)
    version, exp = want_int(body, "version"), want_int(body, "exp")
    retention = want_int(body, "retention_days")
    iat = want_int(body, "iat", optional=True)
    models, rules = _allowed_models(body["allowed_models"]), _rules(body["redaction_rules"])
    limits = _limits(body["upload_limits"])
    kid = check_signature(body, signature, keyring, now, "policy pack")
    assert version is not None and exp is not None and retention is not None
    if now >= exp:
        raise LicenseError(f"policy expired on {fmt_date(exp)}")
    if cached_version is not None and version <= cached_version:
        raise LicenseError(
            f"policy rollback: version {version} is not newer than the cached version {cached_version}"
        )
    return Policy(kid, version, exp, models, retention, rules, limits, iat, dict(body))


def cached_policy_version(settings: Any, keyring: Keyring) -> int | None:
    """The version of the cached pack if its signature still verifies (expired or not): the rollback floor."""
    path = state_file(settings, POLICY_FILE)
    try:
        body, signature = open_envelope(read_capped(path), "policy", "policy pack")
        require_fields(body, POLICY_FIELDS, POLICY_SCHEMA)
        check_signature(body, signature, keyring, float("-inf"), "policy pack")
        return want_int(body, "version")
    except (LicenseError, OSError):
        return None


def load_policy(settings: Any, now: float, keyring: Keyring | None = None) -> tuple[Policy | None, str]:
    """(the cached Policy, re-verified and unexpired at `now`, reason) or (None, why not)."""
    path = state_file(settings, POLICY_FILE)
    if not path.exists():
        return None, f"no policy pack cached at {path}"
    try:
        ring = keyring if keyring is not None else load_keyring(settings)
        policy = verify_policy(read_capped(path), now=now, keyring=ring)
    except LicenseError as e:
        return None, f"cached policy {path}: {e.reason}"
    except OSError as e:
        return None, f"cached policy {path}: cannot read ({e.strerror or e})"
    return policy, f"policy v{policy.version} (kid {policy.kid}) valid until {fmt_date(policy.exp)}"


def install_policy(raw: bytes | str, settings: Any, now: float, keyring: Keyring | None = None) -> Policy:
    """Verify, refuse rollback or expiry, then cache atomically; a refused pack leaves the cache untouched."""
    ring = keyring if keyring is not None else load_keyring(settings)
    policy = verify_policy(raw, now=now, keyring=ring, cached_version=cached_policy_version(settings, ring))
    atomic_write(state_file(settings, POLICY_FILE), raw.encode("utf-8") if isinstance(raw, str) else raw)
    return policy
