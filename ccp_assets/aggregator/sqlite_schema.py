"""The SQLite store's tables (sqlite_store.py): uploads with their idempotency keys, fingerprints and sizes;
the payloads (metrics, events); invite uses; the health probe's row; policy packs."""

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
    fingerprint TEXT,
    bytes INTEGER NOT NULL DEFAULT 0,
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
CREATE TABLE IF NOT EXISTS invite_uses (
    invite_id TEXT PRIMARY KEY,
    uses INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at REAL NOT NULL
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
# Databases made before fingerprints and quotas get the columns added; then the indexes they need.
MIGRATIONS = (
    ("fingerprint", "ALTER TABLE uploads ADD COLUMN fingerprint TEXT"),
    ("bytes", "ALTER TABLE uploads ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0"),
)
INDEXES = """
CREATE INDEX IF NOT EXISTS uploads_by_scope ON uploads (scope, bytes);
CREATE INDEX IF NOT EXISTS uploads_by_time ON uploads (received_at);
CREATE INDEX IF NOT EXISTS metrics_by_upload ON metrics (upload_id);
CREATE INDEX IF NOT EXISTS events_by_upload ON events (upload_id);
"""
