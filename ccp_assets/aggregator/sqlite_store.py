"""SQLite implementation of `Storage`: one file, WAL, synchronous=FULL, one connection behind a lock.

Why this shape: SQLite has one writer at a time anyway, so a process-wide lock costs nothing and makes
the connection safe to share between uvicorn's worker threads. `BEGIN IMMEDIATE` plus the UNIQUE
(scope, idem_key) constraint keep the claim-and-store atomic even if a second process opens the same
file. A `kill -9` at any point leaves either the committed transaction (payload and key) or nothing.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ccp_assets.aggregator import team_sql
from ccp_assets.aggregator.sqlite_schema import INDEXES, MIGRATIONS, SCHEMA
from ccp_assets.aggregator.storage import (
    Answer,
    MetricsRow,
    Receipt,
    StoredPolicy,
    TeamUsage,
    accepted_answer,
    over_quota,
    stored_json,
)


class SQLiteStorage:
    """The default `Storage`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            self._db.executescript(SCHEMA)
            for table, column, ddl in MIGRATIONS:
                if column not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                    self._db.execute(ddl)
            self._db.executescript(INDEXES)

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Cursor]:
        """The lock and one BEGIN IMMEDIATE transaction: committed at the end unless the block rolled it
        back itself (an early answer), rolled back on any error."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
                if self._db.in_transaction:
                    cur.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    cur.execute("ROLLBACK")
                raise

    # --- idempotent writes --------------------------------------------------------------------------
    def find_answer(self, scope: str, idem_key: str) -> Answer | None:
        with self._lock:
            return self._answer(scope, idem_key)

    def _answer(self, scope: str, idem_key: str) -> Answer | None:
        row = self._db.execute(
            "SELECT status, answer, kind, fingerprint FROM uploads WHERE scope = ? AND idem_key = ?",
            (scope, idem_key),
        ).fetchone()
        if row is None:
            return None
        return Answer(row[0], json.loads(row[1]), replayed=True, kind=row[2], fingerprint=row[3])

    def _claim_and_store(
        self, receipt: Receipt, kind: str, stored: int, size: int, quota: int | None, write: Any
    ) -> Answer:
        """Claim the key and run `write(cursor)` in one IMMEDIATE transaction, or replay the first answer
        (or refuse, storing nothing, when `size` more payload bytes would exceed `quota`)."""
        answer = accepted_answer(receipt, kind, stored)
        try:
            with self._immediate() as cur:
                prior = self._answer(receipt.scope, receipt.idem_key)
                if prior is not None:
                    cur.execute("ROLLBACK")
                    return prior
                refusal = over_quota(self._usage(receipt.scope), size, quota) if quota is not None else None
                if refusal is not None:
                    cur.execute("ROLLBACK")
                    return refusal
                cur.execute(
                    team_sql.INSERT_UPLOAD,
                    team_sql.upload_params(receipt, kind, answer, stored_json(answer.body), size),
                )
                write(cur)
        except sqlite3.IntegrityError:  # another process won the race on the unique key
            prior = self.find_answer(receipt.scope, receipt.idem_key)
            if prior is None:
                raise
            return prior
        return answer

    def store_metrics(self, receipt: Receipt, row: MetricsRow, quota_bytes: int | None = None) -> Answer:
        payload = stored_json(row.payload)

        def write(cur: sqlite3.Cursor) -> None:
            cur.execute(team_sql.INSERT_METRIC, team_sql.metric_params(receipt, row, payload))
            metric_id = int(cur.fetchone()[0])
            cur.executemany(team_sql.INSERT_MODEL, team_sql.model_params(metric_id, row))
            cur.executemany(team_sql.INSERT_PROVIDER, team_sql.provider_params(metric_id, row))

        return self._claim_and_store(receipt, "metrics", 1, len(payload), quota_bytes, write)

    def store_events(
        self, receipt: Receipt, events: list[dict[str, Any]], quota_bytes: int | None = None
    ) -> Answer:
        payloads = [stored_json(ev) for ev in events]

        def write(cur: sqlite3.Cursor) -> None:
            cur.executemany(
                "INSERT INTO events (upload_id, scope, seq, payload) VALUES (?, ?, ?, ?)",
                ((receipt.upload_id, receipt.scope, i, p) for i, p in enumerate(payloads)),
            )

        size = sum(len(p) for p in payloads)
        return self._claim_and_store(receipt, "events", len(events), size, quota_bytes, write)

    # --- quota and retention ------------------------------------------------------------------------
    def _usage(self, scope: str) -> int:
        return int(
            self._db.execute("SELECT total(bytes) FROM uploads WHERE scope = ?", (scope,)).fetchone()[0]
        )

    def usage(self, scope: str) -> int:
        """Payload bytes stored for one license (as stored: ASCII JSON)."""
        with self._lock:
            return self._usage(scope)

    def purge_before(self, received_before: float) -> int:
        """Delete the payloads of uploads received before the cutoff; their keys and answers stay."""
        old = "SELECT id FROM uploads WHERE received_at < ? AND bytes > 0"
        with self._immediate() as cur:
            for child in ("metrics_models", "metrics_providers"):
                cur.execute(
                    f"DELETE FROM {child} WHERE metric_id IN (SELECT id FROM metrics WHERE upload_id IN ({old}))",
                    (received_before,),
                )
            cur.execute(f"DELETE FROM metrics WHERE upload_id IN ({old})", (received_before,))
            cur.execute(f"DELETE FROM events WHERE upload_id IN ({old})", (received_before,))
            n = cur.execute(
                "UPDATE uploads SET bytes = 0 WHERE received_at < ? AND bytes > 0", (received_before,)
            ).rowcount
        return n

    # --- invite ledger ------------------------------------------------------------------------------
    def invite_uses(self, invite_id: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT uses FROM invite_uses WHERE invite_id = ?", (invite_id,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def use_invite(self, invite_id: str, max_uses: int | None) -> bool:
        """Count one use in one statement (atomic across processes); False when already `max_uses`."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO invite_uses (invite_id, uses) SELECT ?, 1 WHERE coalesce(?, 1) >= 1 "
                "ON CONFLICT (invite_id) DO UPDATE SET uses = uses + 1 "
                "WHERE ? IS NULL OR uses < ?",
                (invite_id, max_uses, max_uses, max_uses),
            )
            return cur.rowcount == 1

    # --- reads --------------------------------------------------------------------------------------
    def aggregate_daily(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        params = team_sql.bounds(since, until)
        with self._lock:
            rows = [
                self._db.execute(sql, params).fetchall()
                for sql in (team_sql.AGG_UPLOADS, team_sql.AGG_SUMS, team_sql.AGG_MODELS)
            ]
        return team_sql.aggregate_days(*rows)

    def team_usage(self, team: str | None, since: str | None = None, until: str | None = None) -> TeamUsage:
        params = team_sql.bounds(since, until, team)
        with self._lock:
            return TeamUsage(
                *(
                    [tuple(r) for r in self._db.execute(sql, params).fetchall()]
                    for sql in (team_sql.DAYS, team_sql.MODELS, team_sql.PROVIDERS)
                )
            )

    def teams(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(team_sql.TEAMS).fetchall()]

    def latest_policy(self) -> StoredPolicy | None:
        with self._lock:
            row = self._db.execute(
                "SELECT version, kid, exp, raw FROM policies ORDER BY version DESC LIMIT 1"
            ).fetchone()
        return None if row is None else StoredPolicy(*row)

    def put_policy(self, policy: StoredPolicy) -> bool:
        """Store a newer policy; False (nothing stored) when this version is not above the newest held."""
        with self._immediate() as cur:
            newest = cur.execute("SELECT max(version) FROM policies").fetchone()[0]
            if newest is not None and policy.version <= newest:
                cur.execute("ROLLBACK")
                return False
            cur.execute(
                "INSERT INTO policies (version, kid, exp, raw) VALUES (?, ?, ?, ?)",
                (policy.version, policy.kid, policy.exp, policy.raw),
            )
        return True

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                table: self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("uploads", "metrics", "events", "policies")
            }

    def ping(self) -> None:
        with self._lock:
            self._db.execute("SELECT 1").fetchone()

    def health(self, min_free_bytes: int = 0) -> str | None:
        """None when a write commits and the disk has `min_free_bytes` free, else the reason (one line).

        A real write, because reads keep working on a full disk (issue 14: `/healthz` said ok while every
        upload failed); the free-space floor warns before SQLite runs into the wall."""
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError as e:
            return f"cannot stat the database directory: {e.strerror or e}"
        if free < min_free_bytes:
            return f"disk nearly full: {free} bytes free under {self.path.parent}, need {min_free_bytes}"
        try:
            with self._immediate() as cur:
                cur.execute("INSERT OR REPLACE INTO health (id, at) VALUES (1, ?)", (time.time(),))
        except sqlite3.Error as e:
            return f"database cannot write: {e}"
        return None

    def close(self) -> None:
        with self._lock:
            self._db.close()
