"""SQLite implementation of `Storage`: one file, WAL, synchronous=FULL, one connection behind a lock.

Why this shape: SQLite has one writer at a time anyway, so a process-wide lock costs nothing and makes
the connection safe to share between uvicorn's worker threads. `BEGIN IMMEDIATE` plus the UNIQUE
(scope, idem_key) constraint keep the claim-and-store atomic even if a second process opens the same
file. A `kill -9` at any point leaves either the committed transaction (payload and key) or nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ccp_assets.aggregator.storage import Answer, MetricsRow, Receipt, StoredPolicy, accepted_answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    kid TEXT NOT NULL,
    license_id TEXT,
    plan TEXT NOT NULL,
    received_at REAL NOT NULL,
    status INTEGER NOT NULL,
    answer TEXT NOT NULL,
    UNIQUE (scope, idem_key)
);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    scope TEXT NOT NULL,
    period TEXT NOT NULL,
    is_day INTEGER NOT NULL,
    sessions REAL, turns REAL, features_shipped REAL, cost_usd REAL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_day ON metrics (is_day, period, scope);
CREATE TABLE IF NOT EXISTS metrics_models (
    metric_id INTEGER NOT NULL REFERENCES metrics(id),
    model TEXT NOT NULL,
    tokens REAL,
    cost_usd REAL,
    PRIMARY KEY (metric_id, model)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    upload_id TEXT NOT NULL REFERENCES uploads(id),
    scope TEXT NOT NULL,
    seq INTEGER NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS policies (
    version INTEGER PRIMARY KEY,
    kid TEXT NOT NULL,
    exp INTEGER NOT NULL,
    raw TEXT NOT NULL
);
"""

# Sums run over the newest summary per (license, day): re-uploading a re-materialized day replaces the
# earlier numbers instead of adding to them. `uploads` still counts every summary received.
LATEST = """
WITH ranked AS (
    SELECT id, scope, period, sessions, turns, features_shipped, cost_usd,
           ROW_NUMBER() OVER (PARTITION BY scope, period ORDER BY id DESC) AS rn
    FROM metrics WHERE is_day = 1 AND period >= ? AND period <= ?
), latest AS (SELECT * FROM ranked WHERE rn = 1)
"""


def _dumps(value: Any) -> str:
    """ASCII JSON: lone surrogates and odd code points cannot break the UTF-8 encoding of a TEXT column."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def _num(x: float | None) -> int | float:
    """Sums come back as floats (SQLite total()); show whole numbers as integers."""
    if x is None:
        return 0
    return int(x) if float(x).is_integer() and abs(x) < 2**63 else round(x, 6)


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

    # --- idempotent writes --------------------------------------------------------------------------
    def find_answer(self, scope: str, idem_key: str) -> Answer | None:
        with self._lock:
            return self._answer(scope, idem_key)

    def _answer(self, scope: str, idem_key: str) -> Answer | None:
        row = self._db.execute(
            "SELECT status, answer FROM uploads WHERE scope = ? AND idem_key = ?", (scope, idem_key)
        ).fetchone()
        return None if row is None else Answer(row[0], json.loads(row[1]), replayed=True)

    def _claim_and_store(self, receipt: Receipt, kind: str, stored: int, write: Any) -> Answer:
        """Claim the key and run `write(cursor)` in one IMMEDIATE transaction, or replay the first answer."""
        answer = accepted_answer(receipt, kind, stored)
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                prior = self._answer(receipt.scope, receipt.idem_key)
                if prior is not None:
                    cur.execute("ROLLBACK")
                    return prior
                cur.execute(
                    "INSERT INTO uploads (id, scope, idem_key, kind, kid, license_id, plan, received_at, "
                    "status, answer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        receipt.upload_id,
                        receipt.scope,
                        receipt.idem_key,
                        kind,
                        receipt.kid,
                        receipt.license_id,
                        receipt.plan,
                        receipt.received_at,
                        answer.status,
                        _dumps(answer.body),
                    ),
                )
                write(cur)
                cur.execute("COMMIT")
            except sqlite3.IntegrityError:  # another process won the race on the unique key
                cur.execute("ROLLBACK")
                prior = self._answer(receipt.scope, receipt.idem_key)
                if prior is None:
                    raise
                return prior
            except BaseException:
                if self._db.in_transaction:
                    cur.execute("ROLLBACK")
                raise
        return answer

    def store_metrics(self, receipt: Receipt, row: MetricsRow) -> Answer:
        def write(cur: sqlite3.Cursor) -> None:
            cur.execute(
                "INSERT INTO metrics (upload_id, scope, period, is_day, sessions, turns, features_shipped, "
                "cost_usd, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    receipt.upload_id,
                    receipt.scope,
                    row.period,
                    int(len(row.period) == 10),
                    row.sessions,
                    row.turns,
                    row.features_shipped,
                    row.cost_usd,
                    _dumps(row.payload),
                ),
            )
            metric_id = cur.lastrowid
            models = sorted(set(row.tokens_by_model) | set(row.cost_by_model))
            cur.executemany(
                "INSERT INTO metrics_models (metric_id, model, tokens, cost_usd) VALUES (?, ?, ?, ?)",
                [(metric_id, m, row.tokens_by_model.get(m), row.cost_by_model.get(m)) for m in models],
            )

        return self._claim_and_store(receipt, "metrics", 1, write)

    def store_events(self, receipt: Receipt, events: list[dict[str, Any]]) -> Answer:
        def write(cur: sqlite3.Cursor) -> None:
            cur.executemany(
                "INSERT INTO events (upload_id, scope, seq, payload) VALUES (?, ?, ?, ?)",
                ((receipt.upload_id, receipt.scope, i, _dumps(ev)) for i, ev in enumerate(events)),
            )

        return self._claim_and_store(receipt, "events", len(events), write)

    # --- reads --------------------------------------------------------------------------------------
    def aggregate_daily(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        bounds = (since or "0000-00-00", until or "9999-99-99")
        with self._lock:
            uploads = dict(
                self._db.execute(
                    "SELECT period, count(*) FROM metrics WHERE is_day = 1 AND period >= ? AND period <= ? "
                    "GROUP BY period",
                    bounds,
                ).fetchall()
            )
            sums = self._db.execute(
                LATEST + "SELECT period, count(*), total(sessions), total(turns), total(features_shipped), "
                "total(cost_usd) FROM latest GROUP BY period ORDER BY period",
                bounds,
            ).fetchall()
            models = self._db.execute(
                LATEST + "SELECT l.period, mm.model, total(mm.tokens), total(mm.cost_usd) FROM latest l "
                "JOIN metrics_models mm ON mm.metric_id = l.id GROUP BY l.period, mm.model "
                "ORDER BY l.period, mm.model",
                bounds,
            ).fetchall()
        by_day: dict[str, dict[str, Any]] = {}
        for day, licenses, sessions, turns, features, cost in sums:
            by_day[day] = {
                "date": day,
                "uploads": uploads.get(day, 0),
                "licenses": licenses,
                "sessions": _num(sessions),
                "turns": _num(turns),
                "features_shipped": _num(features),
                "cost_usd": _num(cost),
                "tokens_by_model": {},
                "cost_usd_by_model": {},
            }
        for day, model, tokens, cost in models:
            by_day[day]["tokens_by_model"][model] = _num(tokens)
            by_day[day]["cost_usd_by_model"][model] = _num(cost)
        return list(by_day.values())

    def latest_policy(self) -> StoredPolicy | None:
        with self._lock:
            row = self._db.execute(
                "SELECT version, kid, exp, raw FROM policies ORDER BY version DESC LIMIT 1"
            ).fetchone()
        return None if row is None else StoredPolicy(*row)

    def put_policy(self, policy: StoredPolicy) -> bool:
        """Store a newer policy; False (nothing stored) when this version is not above the newest held."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                newest = cur.execute("SELECT max(version) FROM policies").fetchone()[0]
                if newest is not None and policy.version <= newest:
                    cur.execute("ROLLBACK")
                    return False
                cur.execute(
                    "INSERT INTO policies (version, kid, exp, raw) VALUES (?, ?, ?, ?)",
                    (policy.version, policy.kid, policy.exp, policy.raw),
                )
                cur.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    cur.execute("ROLLBACK")
                raise
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

    def close(self) -> None:
        with self._lock:
            self._db.close()
