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
    payload TEXT NOT NULL,
    team TEXT,
    device TEXT
);
CREATE INDEX IF NOT EXISTS metrics_by_day ON metrics (is_day, period, scope);
CREATE TABLE IF NOT EXISTS metrics_models (
    metric_id INTEGER NOT NULL REFERENCES metrics(id),
    model TEXT NOT NULL,
    tokens REAL,
    cost_usd REAL,
    input REAL, output REAL, cache_creation REAL, cache_read REAL,
    PRIMARY KEY (metric_id, model)
);
CREATE TABLE IF NOT EXISTS metrics_providers (
    metric_id INTEGER NOT NULL REFERENCES metrics(id),
    provider TEXT NOT NULL,
    unit TEXT,
    features REAL, capacity REAL, quality_features REAL,
    PRIMARY KEY (metric_id, provider)
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

# Databases made before fingerprints, quotas and the team view get the columns added (table, column, DDL);
# then the indexes they need. (The PostgreSQL store's schema is versioned by Alembic: migrations/.)
MIGRATIONS = (
    ("uploads", "fingerprint", "ALTER TABLE uploads ADD COLUMN fingerprint TEXT"),
    ("uploads", "bytes", "ALTER TABLE uploads ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0"),
    ("metrics", "team", "ALTER TABLE metrics ADD COLUMN team TEXT"),
    ("metrics", "device", "ALTER TABLE metrics ADD COLUMN device TEXT"),
    *(("metrics_models", k, f"ALTER TABLE metrics_models ADD COLUMN {k} REAL")
      for k in ("input", "output", "cache_creation", "cache_read")),
)
INDEXES = """
CREATE INDEX IF NOT EXISTS uploads_by_scope ON uploads (scope, bytes);
CREATE INDEX IF NOT EXISTS uploads_by_time ON uploads (received_at);
CREATE INDEX IF NOT EXISTS metrics_by_upload ON metrics (upload_id);
CREATE INDEX IF NOT EXISTS events_by_upload ON events (upload_id);
CREATE INDEX IF NOT EXISTS metrics_by_team ON metrics (is_day, period, team, device);
"""
