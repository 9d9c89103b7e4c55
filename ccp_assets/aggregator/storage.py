"""The aggregator's storage boundary: one Protocol, so SQLite (the default) can be swapped for Postgres.

Contract every implementation keeps:
- `store_metrics` / `store_events` claim the idempotency key and store the payload in ONE transaction,
  relying on a unique constraint over (scope, idempotency key). A second request with the same key, even
  a concurrent one or one after a crash and restart, gets the first answer back and stores nothing.
  Either the payload and its key are both stored, or neither is.
- `find_answer` is only a fast path (skip reading the body of an obvious replay); correctness never
  depends on it.
- Only accepted answers are remembered: a refused request stored nothing, so a corrected retry with the
  same key is judged afresh.
- Each accepted upload remembers its `kind` and `fingerprint` (SHA-256 of the decompressed body), and
  `Answer` carries them back, so the HTTP layer can answer 409 when a key is reused on another endpoint or
  with another body instead of silently replaying the first answer (Stripe does the same).
- `quota_bytes`: the store refuses (an `Answer` with status 403, nothing stored) an upload that would
  take the license's stored payload bytes above it, checked in the same transaction as the store.
- `purge_before(t)` drops the payloads of uploads received before `t` (retention) and keeps their keys
  and answers, so a late retry is still answered, not stored again.
- Invite uses (`InviteLedger`) and `health()` (None when the store can write, else the reason) live here
  too, so a second implementation (PostgreSQL, postgres_store.py) provides the whole state of the service.
- `team_usage(team, since, until)`: the newest day summary per (team, device, day) only: a re-upload of a
  day replaces that device's day, it never adds twice. Both stores run the same SQL (team_sql.py); the
  team views (team.py) are built from its sums.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Receipt:
    """Who sent an upload and under which idempotency key; `upload_id` is the id answered on acceptance."""

    scope: str  # the license the key belongs to: "<kid>/<license_id>"
    idem_key: str
    kid: str
    license_id: str | None
    plan: str
    received_at: float
    upload_id: str
    fingerprint: str = ""  # "sha256:<hex>" of the decompressed body
    team: str = ""  # the license's `org`, else the scope: a pack without an org is its own team


@dataclass(frozen=True)
class Answer:
    """An HTTP answer worth replaying: status and JSON body; `replayed`: it answered an earlier request."""

    status: int
    body: dict[str, Any]
    replayed: bool = False
    kind: str | None = None  # of the stored upload, on a replay
    fingerprint: str | None = None  # of the stored upload, on a replay (None: stored before fingerprints)


@dataclass(frozen=True)
class MetricsRow:
    """One minimized summary plus the numbers the daily aggregate sums (extracted once, at upload)."""

    period: str  # "YYYY-MM-DD" or "YYYY-Www"
    payload: dict[str, Any]
    sessions: float | None = None
    turns: float | None = None
    features_shipped: float | None = None
    cost_usd: float | None = None
    tokens_by_model: dict[str, float] = field(default_factory=dict)
    cost_by_model: dict[str, float] = field(default_factory=dict)
    device: str | None = None  # the install's keyed device id (None: a client from before device ids)
    kinds_by_model: dict[str, dict[str, float]] = field(default_factory=dict)  # {model: {input: n, ...}}
    providers: dict[str, ProviderSums] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderSums:
    """What efficiency is recomputed from: features, capacity and Σ(features × quality) (= e_q × capacity)."""

    unit: str | None
    features: float | None
    capacity: float | None
    quality_features: float | None


@dataclass(frozen=True)
class TeamUsage:
    """Sums over the newest summary of each (device, day): per day and device, per model, per provider."""

    days: list[tuple[str, str, float, float, float]]  # (day, device, sessions, turns, features_shipped)
    models: list[tuple[str, str, str, float, float, float, float, float, float]]
    # (day, device, model, input, output, cache_creation, cache_read, total tokens, cost_usd)
    providers: list[tuple[str, str, str, float, float, float]]
    # (day, provider, unit, features, capacity, quality_features)


@dataclass(frozen=True)
class StoredPolicy:
    version: int
    kid: str
    exp: int
    raw: str


class Storage(Protocol):
    """What the HTTP layer needs from a database."""

    def find_answer(self, scope: str, idem_key: str) -> Answer | None: ...

    def store_metrics(self, receipt: Receipt, row: MetricsRow, quota_bytes: int | None = None) -> Answer: ...

    def store_events(
        self, receipt: Receipt, events: list[dict[str, Any]], quota_bytes: int | None = None
    ) -> Answer: ...

    def usage(self, scope: str) -> int: ...

    def purge_before(self, received_before: float) -> int: ...

    def invite_uses(self, invite_id: str) -> int: ...

    def use_invite(self, invite_id: str, max_uses: int | None) -> bool: ...

    def health(self, min_free_bytes: int = 0) -> str | None: ...

    def aggregate_daily(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]: ...

    def team_usage(self, team: str | None, since: str | None = None, until: str | None = None) -> TeamUsage: ...

    def teams(self) -> list[str]: ...

    def latest_policy(self) -> StoredPolicy | None: ...

    def put_policy(self, policy: StoredPolicy) -> bool: ...

    def counts(self) -> dict[str, int]: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


def accepted_answer(receipt: Receipt, kind: str, stored: int) -> Answer:
    """The 202 body every implementation returns, so a replay is byte-for-byte the first answer."""
    return Answer(202, {"accepted": True, "id": receipt.upload_id, "kind": kind, "stored": stored})


def over_quota(scope_bytes: int, new_bytes: int, quota_bytes: int | None) -> Answer | None:
    """The refusal every implementation returns when an upload would exceed the license's quota."""
    if quota_bytes is None or scope_bytes + new_bytes <= quota_bytes:
        return None
    detail = (
        f"storage quota of this license exceeded: {scope_bytes} of {quota_bytes} bytes used, this upload "
        f"needs {new_bytes}; stored data frees up as the policy's retention expires it"
    )
    return Answer(403, {"detail": detail})


def is_postgres_url(value: str) -> bool:
    """`postgresql://...` (or `postgres://`, `postgresql+psycopg://`) selects the PostgreSQL store."""
    return value.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres") and "://" in value


def open_storage(db: Path | str) -> Storage:
    """SQLite for a path (the embedded default), PostgreSQL for a `postgresql://` URL (schema migrated to
    the newest Alembic revision on open)."""
    if isinstance(db, str) and is_postgres_url(db):
        from ccp_assets.aggregator.postgres_store import PostgresStorage

        return PostgresStorage(db)
    from ccp_assets.aggregator.sqlite_store import SQLiteStorage

    return SQLiteStorage(Path(db))


def stored_json(value: Any) -> str:
    """The text every store keeps: ASCII JSON (lone surrogates and odd code points cannot break a TEXT
    column's UTF-8, no NUL), one spelling for both stores so the quota counts the same bytes on each."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
