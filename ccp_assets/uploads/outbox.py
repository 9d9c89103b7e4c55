"""The durable upload outbox: `$CCP_HOME/outbox.sqlite`, a SQLite file of its own.

Why SQLite and not the DuckDB warehouse: the sender (the upload sensor's job, `ccp upload`) must never wait
for, or hold, the warehouse's single write lock while a materialization runs.

One row per payload. Its idempotency key is derived from its content: `ccp1.<tier>.<kind>.<day>.<sha256>`,
so the same payload always carries the same key (a retry after a crash or a lost answer is recognised by
the aggregator and stored once) and a changed payload gets a new one. States:

    pending     waiting to be sent (also after a failed attempt: attempts, last_error say why)
    sent        the aggregator accepted it (status and its answer kept)
    rejected    refused for good (400/413, or the client's own last guard): never retried
    superseded  a newer version of the same day's payload replaced it before it was sent

Writes are single `BEGIN IMMEDIATE` transactions (WAL, synchronous=FULL): a kill at any point leaves the
previous state or the next, never half of one. For full-tier event batches the outbox also remembers which
event (id, content hash) went into which batch, so a day that grows only sends its new or changed events.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTBOX_FILE = "outbox.sqlite"
KEY_VERSION = "ccp1"
STATES = ("pending", "sent", "rejected", "superseded")
LIVE_STATES = ("pending", "sent")  # a payload in one of these still counts as "this content is queued"

SCHEMA = """
CREATE TABLE IF NOT EXISTS payloads (
    idem_key    TEXT PRIMARY KEY,
    tier        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    day         TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    body        BLOB NOT NULL,
    items       INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'rejected', 'superseded')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    status      INTEGER,
    last_error  TEXT,
    answer      TEXT,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    sent_at     REAL
);
CREATE INDEX IF NOT EXISTS payloads_by_state ON payloads (state, day, kind);
CREATE INDEX IF NOT EXISTS payloads_by_day ON payloads (tier, kind, day);
CREATE TABLE IF NOT EXISTS batch_events (
    idem_key   TEXT NOT NULL REFERENCES payloads(idem_key),
    event_id   TEXT NOT NULL,
    event_hash TEXT NOT NULL,
    PRIMARY KEY (idem_key, event_id)
);
CREATE INDEX IF NOT EXISTS batch_events_by_event ON batch_events (event_id);
"""


def outbox_path(settings: Any) -> Path:
    return Path(settings.ccp_home) / OUTBOX_FILE


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def idempotency_key(tier: str, kind: str, day: str, body: bytes) -> str:
    """Content-derived: same (tier, kind, day, bytes) -> same key; printable ASCII, well under 200 chars."""
    return f"{KEY_VERSION}.{tier}.{kind}.{day}.{body_hash(body)[:40]}"


@dataclass(frozen=True)
class Payload:
    idem_key: str
    tier: str
    kind: str
    day: str
    body: bytes
    items: int
    state: str
    attempts: int = 0
    status: int | None = None
    last_error: str | None = None
    answer: str | None = None

    @property
    def endpoint(self) -> str:
        return "/v1/metrics" if self.kind == "metrics" else "/v1/events"

    def label(self) -> str:
        what = "summary" if self.kind == "metrics" else f"{self.items} events"
        return f"{self.day} {self.kind} ({self.tier}, {what})"


@dataclass
class EnqueueResult:
    """What one enqueue call changed: keys added (or revived), kept as they were, superseded."""

    added: list[str]
    unchanged: list[str]
    superseded: list[str]


_COLUMNS = "idem_key, tier, kind, day, body, items, state, attempts, status, last_error, answer"


class Outbox:
    """The outbox file; open with `Outbox.open(settings)` (creates it) or `Outbox.existing(...)` (never)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    @classmethod
    def open(cls, settings: Any) -> Outbox:
        return cls(outbox_path(settings))

    @classmethod
    def existing(cls, settings: Any) -> Outbox | None:
        """The outbox if the file exists; None otherwise (readers must not create it)."""
        path = outbox_path(settings)
        return cls(path) if path.exists() else None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                cur.execute("ROLLBACK")
            raise

    # --- enqueue ------------------------------------------------------------------------------------
    def _insert(self, cur: sqlite3.Cursor, tier: str, kind: str, day: str, body: bytes, items: int,
                now: float) -> tuple[str, bool]:
        """Insert the payload (or revive a superseded copy of the same content); (key, added?)."""
        key = idempotency_key(tier, kind, day, body)
        row = cur.execute("SELECT state FROM payloads WHERE idem_key = ?", (key,)).fetchone()
        if row is None:
            cur.execute(
                "INSERT INTO payloads (idem_key, tier, kind, day, body_sha256, body, items, state, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (key, tier, kind, day, body_hash(body), body, items, now, now),
            )
            return key, True
        if row[0] == "superseded":
            cur.execute("UPDATE payloads SET state = 'pending', updated_at = ? WHERE idem_key = ?", (now, key))
            return key, True
        return key, False

    def enqueue_summary(self, tier: str, day: str, body: bytes) -> EnqueueResult:
        """The day's one summary: a new version supersedes a still-pending older one."""
        now = time.time()
        with self._tx() as cur:
            key, added = self._insert(cur, tier, "metrics", day, body, 1, now)
            stale = [r[0] for r in cur.execute(
                "SELECT idem_key FROM payloads WHERE tier = ? AND kind = 'metrics' AND day = ? AND state = 'pending' "
                "AND idem_key <> ?", (tier, day, key)).fetchall()]
            cur.executemany("UPDATE payloads SET state = 'superseded', updated_at = ? WHERE idem_key = ?",
                            [(now, k) for k in stale])
        return EnqueueResult([key] if added else [], [] if added else [key], stale)

    def enqueue_day_events(self, tier: str, day: str, events: dict[str, tuple[str, Any]],
                           chunk: Callable[[list[tuple[str, str, Any]]], list[tuple[bytes, list[tuple[str, str]]]]],
                           ) -> EnqueueResult:
        """Queue the day's events that are not yet in a pending or sent batch, in one transaction.

        `events` = {event_id: (event_hash, event)} of the day as it is now. A pending batch holding an event
        that changed or vanished is superseded first (its other events are queued again); then every event
        whose (id, hash) no live batch holds is handed, in id order, to `chunk`, which splits them into
        (body, [(event_id, event_hash)]) batches under the size limits. Unchanged content adds nothing.
        """
        now = time.time()
        added: list[str] = []
        unchanged: list[str] = []
        superseded: list[str] = []
        with self._tx() as cur:
            members: dict[str, tuple[str, list[tuple[str, str]]]] = {}
            for key, state, eid, ehash in cur.execute(
                    "SELECT p.idem_key, p.state, b.event_id, b.event_hash FROM payloads p JOIN batch_events b "
                    "USING (idem_key) WHERE p.tier = ? AND p.kind = 'events' AND p.day = ? "
                    "AND p.state IN ('pending', 'sent')", (tier, day)).fetchall():
                members.setdefault(key, (state, []))[1].append((eid, ehash))
            included: set[tuple[str, str]] = set()
            for key, (state, pairs) in members.items():
                if state == "pending" and any(events.get(eid, ("",))[0] != ehash for eid, ehash in pairs):
                    cur.execute("UPDATE payloads SET state = 'superseded', updated_at = ? WHERE idem_key = ?",
                                (now, key))
                    superseded.append(key)
                else:
                    included.update(pairs)
            todo = [(eid, ehash, ev) for eid, (ehash, ev) in sorted(events.items()) if (eid, ehash) not in included]
            for body, pairs in (chunk(todo) if todo else []):
                key, new = self._insert(cur, tier, "events", day, body, len(pairs), now)
                (added if new else unchanged).append(key)
                cur.executemany("INSERT OR IGNORE INTO batch_events (idem_key, event_id, event_hash) VALUES (?, ?, ?)",
                                [(key, eid, ehash) for eid, ehash in pairs])
        return EnqueueResult(added, unchanged, [k for k in superseded if k not in added])

    # --- reads --------------------------------------------------------------------------------------
    def pending(self) -> list[Payload]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM payloads WHERE state = 'pending' ORDER BY day, kind DESC, created_at, idem_key"
        ).fetchall()
        return [Payload(*r) for r in rows]

    def get(self, key: str) -> Payload | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM payloads WHERE idem_key = ?", (key,)).fetchone()
        return None if row is None else Payload(*row)

    def all(self) -> list[Payload]:
        return [Payload(*r) for r in self._db.execute(
            f"SELECT {_COLUMNS} FROM payloads ORDER BY day, kind DESC, created_at, idem_key").fetchall()]

    def days_with(self, tier: str, kind: str) -> set[str]:
        """Days that have any payload of this tier and kind, whatever its state."""
        return {r[0] for r in self._db.execute(
            "SELECT DISTINCT day FROM payloads WHERE tier = ? AND kind = ?", (tier, kind)).fetchall()}

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        out.update(dict(self._db.execute("SELECT state, count(*) FROM payloads GROUP BY state").fetchall()))
        return out

    def pending_keys(self) -> list[str]:
        return [r[0] for r in self._db.execute(
            "SELECT idem_key FROM payloads WHERE state = 'pending' ORDER BY idem_key").fetchall()]

    # --- state transitions --------------------------------------------------------------------------
    def note_attempt(self, key: str) -> None:
        with self._tx() as cur:
            cur.execute("UPDATE payloads SET attempts = attempts + 1, updated_at = ? WHERE idem_key = ?",
                        (time.time(), key))

    def mark_sent(self, key: str, status: int, answer: str) -> None:
        now = time.time()
        with self._tx() as cur:
            cur.execute("UPDATE payloads SET state = 'sent', status = ?, answer = ?, last_error = NULL, "
                        "sent_at = ?, updated_at = ? WHERE idem_key = ?", (status, answer[:4000], now, now, key))

    def mark_rejected(self, key: str, status: int | None, reason: str, answer: str | None = None) -> None:
        with self._tx() as cur:
            cur.execute("UPDATE payloads SET state = 'rejected', status = ?, last_error = ?, answer = ?, "
                        "updated_at = ? WHERE idem_key = ?", (status, reason[:1000], (answer or "")[:4000] or None,
                                                              time.time(), key))

    def mark_failed(self, key: str, status: int | None, reason: str) -> None:
        """Still pending: a later drain tries again."""
        with self._tx() as cur:
            cur.execute("UPDATE payloads SET status = ?, last_error = ?, updated_at = ? WHERE idem_key = ?",
                        (status, reason[:1000], time.time(), key))
