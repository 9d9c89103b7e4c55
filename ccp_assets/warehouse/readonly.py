"""The warehouse door's read-only side, importable without Dagster (a warm `ccp report` stays a plain
query); the writing side is `WarehouseResource` (warehouse/resource.py). Every read-only connection to the
warehouse is opened here."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb


def open_read_only(path: Path, wait_s: float = 20.0) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection, waiting while a run holds the write lock; None when there is no warehouse.

    Read-only connections run no DDL: what they read is what the last writer left.
    """
    if not path.exists():
        return None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=True)
            conn.execute("SET TimeZone = 'UTC'")
            return conn
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
