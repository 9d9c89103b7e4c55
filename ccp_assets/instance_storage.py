"""Dagster's SQLite instance storage with the event log's connections kept open (dagster_home/dagster.yaml).

Why: a daily run writes one planned and one materialization event per asset and day, and one check
evaluation per check and day — 347 events for the 3-day fixture, 4,182 for a 62-day cold build of
≈ 376 MB. Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine and SQLite connection for every
write (twice for an asset event: the run's shard and the index), and each close checkpoints the WAL with
an fsync. Measured (bench/event_store.py, 400 planned events, 2 cores under load 11): 7.3 ms CPU / 60 ms
wall per event stock, 1.1-1.2 ms CPU / 3.5-5 ms wall here. On the 376 MB cold build that was ≈ 20 s of
the process before its first step.

What differs from the stock storage, and only this:
- one engine per shard file (at most `MAX_ENGINES` kept, least recently used closed), opened in this
  process (a forked child opens its own);
- `PRAGMA synchronous=NORMAL` on its connections: in WAL mode (which Dagster sets) a commit no longer
  waits for an fsync; a power cut may lose the last commits, never corrupt the file;
- the WAL is checkpointed into the run's `.db` after each event that is not a per-asset bulk event
  (planned, materialization, observation, check evaluation): the webserver's live run view is a file
  watcher on that `.db` (`SqliteEventLogStorageWatchdog`), which the stock storage triggers because its
  closing connection checkpoints. Steps, logs and the run's end still show as they happen; a step's
  materializations show with its next such event (at the latest its STEP_SUCCESS).
The files, tables and layout under DAGSTER_HOME are Dagster's own (`storage: sqlite` reads them, and
cli/nothing_new.py reads them): switching back is a one-line change of dagster.yaml that loses nothing.
Dagster is pinned to 1.13 (pyproject.toml); tests/foundation/test_instance_storage.py fails if the
private hooks used here (`_connect`, `_db_lock`, `_initialized_dbs`, `_initdb`) change.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory

MAX_ENGINES = 8  # the shard being written, the index, and a few a webserver reads; each holds one connection
_BULK = ASSET_EVENTS | ASSET_CHECK_EVENTS


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that keeps one open connection per shard (see the module docstring)."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Any] = OrderedDict()
        self._engines_pid = os.getpid()
        super().__init__(base_dir, inst_data)

    def _engine(self, shard: str) -> Any:
        import sqlalchemy as db

        if self._engines_pid != os.getpid():  # a forked child must not share its parent's SQLite handles
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = db.create_engine(self.conn_string_for_shard(shard), pool_size=1, max_overflow=2,
                                  connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        db.event.listen(engine, "connect", _synchronous_normal)
        self._engines[shard] = engine
        while len(self._engines) > MAX_ENGINES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        import sqlalchemy as db
        from sqlalchemy.pool import NullPool

        with self._db_lock:
            if shard not in self._initialized_dbs:  # creating the tables opens several connections: not pooled
                self._initdb(db.create_engine(self.conn_string_for_shard(shard), poolclass=NullPool,
                                              connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}))
                self._initialized_dbs.add(shard)
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event(self, event: Any) -> None:
        super().store_event(event)
        if event.run_id and not (event.is_dagster_event and event.dagster_event_type in _BULK):
            self._checkpoint(event.run_id)

    def _checkpoint(self, shard: str) -> None:
        """Fold the shard's WAL into its `.db` file, so a watcher of that file (the webserver) sees the event."""
        with self._db_lock, self._engine(shard).connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _close_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_engines()  # wipe unlinks the shard files: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()


def _synchronous_normal(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class CcpSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (same files under `base_dir`) with the pooled event log above."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> CcpSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
