"""Per-license storage quota and retention, from the newest signed policy pack the aggregator holds.

- quota: `upload_limits.stored_bytes_per_license` of the policy (else `CCP_AGGREGATOR_QUOTA_BYTES`,
  1 GiB by default) caps the payload bytes stored per license. Issue 14 turned 94 KB of gzip into
  98.6 MB stored with nothing to stop it; now the upload that would cross the cap gets 403 and stores
  nothing (the client keeps it in its outbox).
- retention: the policy's `retention_days` (> 0) drops stored payloads received longer ago, at start and
  then at most once an hour, from the upload path (keys and answers stay, so late retries replay).
An expired or absent policy means the configured defaults and no retention.
"""

from __future__ import annotations

import logging
import threading

from ccp_assets.aggregator.auth import Trust
from ccp_assets.aggregator.storage import Storage
from ccp_assets.licensing import LicenseError, verify_policy
from ccp_assets.licensing.policy import Policy

log = logging.getLogger("ccp_assets.aggregator")
QUOTA_LIMIT = "stored_bytes_per_license"
DAY_S = 86400
PURGE_EVERY_S = 3600.0


class StoragePolicy:
    """The quota and retention in force; re-reads the policy only when its version changes."""

    def __init__(self, store: Storage, trust: Trust, default_quota: int | None) -> None:
        self.store, self.trust, self.default_quota = store, trust, default_quota
        self._policy: Policy | None = None
        self._version: int | None = None
        self._last_purge = float("-inf")
        self._lock = threading.Lock()

    def _current(self, now: float) -> Policy | None:
        held = self.store.latest_policy()
        if held is None:
            return None
        if held.version != self._version:
            try:
                self._policy = verify_policy(held.raw.encode("utf-8"), now=now, keyring=self.trust.keyring)
            except LicenseError as e:
                log.warning("stored policy v%s not applied: %s", held.version, e.reason)
                self._policy = None
            self._version = held.version
        if self._policy is not None and now >= self._policy.exp:
            return None
        return self._policy

    def quota(self, now: float) -> int | None:
        """Payload bytes one license may store (None: no cap)."""
        with self._lock:
            policy = self._current(now)
        if policy is not None and QUOTA_LIMIT in policy.upload_limits:
            return policy.upload_limits[QUOTA_LIMIT]
        return self.default_quota

    def retention_days(self, now: float) -> int | None:
        with self._lock:
            policy = self._current(now)
        return policy.retention_days if policy is not None and policy.retention_days > 0 else None

    def purge(self, now: float, *, force: bool = False) -> int:
        """Drop payloads older than the retention (at most once an hour unless `force`); how many uploads."""
        with self._lock:
            if not force and now - self._last_purge < PURGE_EVERY_S:
                return 0
            self._last_purge = now
        days = self.retention_days(now)
        if days is None:
            return 0
        purged = self.store.purge_before(now - days * DAY_S)
        if purged:
            log.info("retention %s days: dropped the payloads of %s uploads", days, purged)
        return purged
