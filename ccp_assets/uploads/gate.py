"""May this payload leave, now? The one place uploads ask the license, the tier and the drift checks.

- Tier: `licensing.effective_tier` = the lower of CCP_PRIVACY_TIER and what the license entitles; anything
  wrong with the license means local. A payload of tier T leaves only when the effective tier allows T.
- Aggregator: CCP_AGGREGATOR_URL unset means nothing can be sent (payloads wait in the outbox).
- Drift: a day whose latest blocking drift check failed is withheld (`checks.drift.blocked_days`), read
  from the warehouse read-only right before sending.
Every "no" comes with a reason that names its category: tier, license, aggregator, failed check, warehouse.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccp_assets.licensing import (
    License,
    LicenseError,
    Policy,
    clock,
    current_license,
    effective_tier,
    lkg_path,
    load_keyring,
    load_policy,
    load_revocations,
    verify_pack,
)
from ccp_assets.licensing.jsonstrict import read_capped
from ccp_assets.privacy.tiers import TIER_ORDER, tier_allows
from ccp_assets.settings import Settings


@dataclass(frozen=True)
class Gate:
    """The upload decision inputs, read once (one `now`) per asset step, sensor tick or drain."""

    now: float
    requested: str
    tier: str
    tier_reason: str
    license: License | None
    license_reason: str
    aggregator_url: str | None
    policy: Policy | None = None

    @classmethod
    def load(cls, settings: Settings, now: float | None = None) -> Gate:
        at = clock.now() if now is None else now
        tier, why = effective_tier(settings, at)
        lic, lic_why = current_license(settings, at)
        policy = None
        if lic is not None:
            policy, _ = load_policy(settings, at)
        return cls(at, settings.privacy_tier, tier, why, lic, lic_why, settings.aggregator_url, policy)

    def allows(self, payload_tier: str) -> bool:
        return tier_allows(self.tier, payload_tier)

    def withheld_reason(self, payload_tier: str) -> str | None:
        """None when payloads of `payload_tier` may leave (tier and license); else 'tier: ...' / 'license: ...'."""
        if self.allows(payload_tier):
            return None
        if TIER_ORDER.get(self.requested, 0) < TIER_ORDER[payload_tier]:
            return f"tier: CCP_PRIVACY_TIER={self.requested} (a {payload_tier} upload needs {payload_tier})"
        return f"license: {self.tier_reason}"

    @property
    def sends_anything(self) -> bool:
        return self.tier != "local"

    def upload_limits(self) -> dict[str, int]:
        return dict(self.policy.upload_limits) if self.policy is not None else {}


def license_header(settings: Settings, now: float) -> str | None:
    """base64 of the raw pack that `current_license` accepts (the configured one, else the last-known-good)."""
    try:
        ring = load_keyring(settings)
    except LicenseError:
        return None
    revocations = load_revocations(settings, now, ring)
    for path in (Path(settings.license_pack), lkg_path(settings)):
        try:
            raw = read_capped(path)
            verify_pack(raw, now=now, keyring=ring, revocations=revocations)
        except (OSError, LicenseError):
            continue
        return base64.b64encode(raw).decode("ascii")
    return None


def blocked_days_read_only(settings: Settings, days: list[str], wait_s: float = 20.0) -> dict[str, list[str]]:
    """{day: [failed check summaries]} from the warehouse, opened read-only. Raises WarehouseUnavailable
    when it cannot be read (no warehouse, or a run holds its write lock for longer than `wait_s`)."""
    import duckdb

    from ccp_assets.checks.drift import blocked_days
    from ccp_assets.warehouse.readonly import open_read_only

    if not days:
        return {}
    try:
        conn = open_read_only(settings.warehouse_path, wait_s=wait_s)
    except duckdb.Error as e:
        raise WarehouseUnavailable(f"warehouse busy or unreadable ({str(e).splitlines()[0][:120]})") from None
    if conn is None:
        raise WarehouseUnavailable(f"no warehouse at {settings.warehouse_path}")
    try:
        if not _has_table(conn, "check_results"):
            return {}
        return blocked_days(conn, sorted(days))
    finally:
        conn.close()


def failed_check_days(conn: Any) -> dict[str, list[str]]:
    """Every day whose latest result of some check failed (for `ccp upload` to say what it withholds)."""
    from ccp_assets.checks.drift import blocked_days

    if not _has_table(conn, "check_results"):
        return {}
    days = [r[0] for r in conn.execute("SELECT DISTINCT CAST(day AS VARCHAR) FROM check_results").fetchall()]
    return blocked_days(conn, days) if days else {}


def _has_table(conn: Any, name: str) -> bool:
    return bool(conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                             [name]).fetchone()[0])


class WarehouseUnavailable(RuntimeError):
    """The drift status of a day cannot be confirmed right now: its payloads wait."""
