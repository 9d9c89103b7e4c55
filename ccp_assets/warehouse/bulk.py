"""The one bulk writer: many Python rows into a warehouse table in one statement, by column name.

DuckDB's executemany is row-at-a-time; an Arrow table registered once and inserted with one
`INSERT … SELECT` is not. Columns are typed from the warehouse contract (model/contract.py), so a
caller never restates the DDL's types. Used by the ledger normalizers, the measurements and the drift
checks.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from typing import Any

import duckdb

from ccp_assets.model.contract import column_types


@cache
def _arrow_types() -> dict[str, Any]:
    """DuckDB type -> Arrow type. pyarrow is imported here, on the first insert, not when the code location loads
    (the measurements import this module: 0.1-0.25 s of every `dagster` and `ccp` start, measured)."""
    import pyarrow as pa

    return {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
            "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "DATE": pa.date32(), "JSON": pa.string(),
            "VARCHAR[]": pa.list_(pa.string()), "JSON[]": pa.list_(pa.string())}


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], *,
                replace: bool = False) -> int:
    """Insert dict rows by column name (`replace`: INSERT OR REPLACE on the table's key); JSON columns take
    Python objects (serialized here), DATE columns dates or ISO strings."""
    if not rows:
        return 0
    types = column_types(table)  # from the contract (model/contract.py), not a catalog query per insert
    names = sorted({k for r in rows for k in r})
    unknown = [n for n in names if n not in types]
    if unknown:
        raise KeyError(f"{table} has no column(s) {unknown}")
    import pyarrow as pa

    arrow, arrays = _arrow_types(), []
    for n in names:
        t = types[n]
        vals = [r.get(n) for r in rows]
        if t == "JSON":
            vals = [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in vals]
        elif t == "JSON[]":
            vals = [None if v is None else [json.dumps(x, ensure_ascii=False, default=str) for x in v] for v in vals]
        elif t == "DATE":
            vals = [date.fromisoformat(v) if isinstance(v, str) else v for v in vals]
        elif t == "DOUBLE":
            vals = [None if v is None else float(v) for v in vals]
        arrays.append(pa.array(vals, type=arrow.get(t, pa.string())))
    tbl = pa.Table.from_arrays(arrays, names=names)
    conn.register("_rows_in", tbl)
    try:
        cols = ", ".join(f'"{n}"' for n in names)
        conn.execute(f"INSERT {'OR REPLACE ' if replace else ''}INTO {table} ({cols}) SELECT {cols} FROM _rows_in")
    finally:
        conn.unregister("_rows_in")
    return len(rows)
