"""One transaction helper, and the rule that goes with it: stage first, then open the transaction.

DuckDB plans a query over a temp table written inside the still-open transaction without that table's
row count and falls back to a nested-loop join: a range join over two staged tables of ~10k rows took
0.5 s instead of 0.01 s (measured on DuckDB 1.4.5). So normalizers build their temp tables outside the
transaction and keep only the DELETE + INSERT that must be atomic inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, or ROLLBACK on any error (then re-raise)."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

