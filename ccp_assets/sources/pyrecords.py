"""Python-side helpers for the small ledgers (AgentOS, CCC sessions, repo): typed reads that never coerce,
landed-line reading, quarantine rows and bulk inserts into warehouse tables by column name.

The rule is the same as in SQL (sources/jsonsql.py): a field of the wrong JSON type is never turned
into a value. Here a record with such a field is quarantined whole (stage 'normalize', kind
'wrong_type', the reason naming every offending field), because a ledger record is one fact whose
parts are not independent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from ccp_assets.eventtime import parse_ts
from ccp_assets.warehouse.bulk import insert_rows  # noqa: F401 - re-exported: the normalizers import it from here

_KIND_NAMES = {"int": "integer", "num": "number", "str": "string", "bool": "boolean", "ts": "timestamp",
               "obj": "object", "arr": "array", "strlist": "array of strings"}


# (Python type, JSON Schema's name, DuckDB json_type's name), bool before int (a bool is an int in Python)
_TYPE_NAMES = ((bool, "boolean", "BOOLEAN"), (int, "number", "UBIGINT"), (float, "number", "DOUBLE"),
               (str, "string", "VARCHAR"), (list, "array", "ARRAY"), (dict, "object", "OBJECT"))


def json_type_name(v: Any) -> str:
    return next((js for t, js, _ in _TYPE_NAMES if isinstance(v, t)), type(v).__name__)


def duck_type_name(v: Any) -> str:
    """The name DuckDB's json_type gives a value, so Python- and SQL-made `type_drift` entries read alike."""
    if isinstance(v, int) and not isinstance(v, bool) and v < 0:
        return "BIGINT"
    return next((duck for t, _, duck in _TYPE_NAMES if isinstance(v, t)), "NULL" if v is None else type(v).__name__)


class Typed:
    """Typed access to one JSON record; every wrong type is remembered with its dotted path."""

    def __init__(self, record: Any, prefix: str = ""):
        self.record = record if isinstance(record, dict) else {}
        self.prefix = prefix
        self.problems: list[str] = []
        self.drift: list[str] = []
        """`path:JSONTYPE` of each wrong-typed field, as SQL normalizers write `type_drift`."""

    def at(self, path: str) -> Any:
        cur: Any = self.record
        for part in path.split("."):
            if isinstance(cur, list) and part.isdigit():
                cur = cur[int(part)] if int(part) < len(cur) else None
            elif isinstance(cur, dict):
                cur = cur.get(part)
            else:
                return None
        return cur

    def get(self, path: str, kind: str, required: bool = False) -> Any:
        v = self.at(path)
        if v is None:
            if required:
                self.problems.append(f"{self.prefix}{path}: missing")
            return None
        out = _convert(v, kind)
        if out is None:
            self.drift.append(f"{self.prefix}{path}:{duck_type_name(v)}")
            self.problems.append(f"{self.prefix}{path}: expected {_KIND_NAMES[kind]}, got {json_type_name(v)}"
                                 + (f" {v!r}"[:40] if isinstance(v, str | int | float) else ""))
        return out

    def child(self, path: str) -> Typed:
        """Typed view of a nested object (its problems are shared with this one)."""
        sub = Typed(self.at(path), f"{self.prefix}{path}.")
        sub.problems = self.problems
        sub.drift = self.drift
        return sub


def _convert(v: Any, kind: str) -> Any:
    if kind == "int":
        if isinstance(v, bool):
            return None
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return None
    if kind == "num":
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    if kind == "str":
        return v if isinstance(v, str) else None
    if kind == "bool":
        return v if isinstance(v, bool) else None
    if kind == "ts":
        return parse_ts(v)
    if kind == "obj":
        return v if isinstance(v, dict) else None
    if kind == "arr":
        return v if isinstance(v, list) else None
    if kind == "strlist":
        return [str(x) for x in v] if isinstance(v, list) and all(isinstance(x, str) for x in v) else None
    raise ValueError(kind)


def extras_of(record: dict, known: set[str] | list[str] | tuple[str, ...]) -> dict | None:
    """The members of a record that no column took (kept, never dropped); None when there are none."""
    rest = {k: v for k, v in record.items() if k not in known}
    return rest or None


def record_hash(record: Any) -> str:
    return hashlib.sha1(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class Line:
    """One landed line (or glued part) with its provenance."""

    file: str
    byte_offset: int
    line_no: int
    part: int
    ts: datetime | None
    day: date
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def read_lines(conn: duckdb.DuckDBPyConnection, files: list[str], tz: str) -> list[Line]:
    if not files:
        return []
    rows = conn.execute(f"""SELECT file, byte_offset, line_no, part, ts, CAST(timezone('{tz}', ts) AS DATE), line
        FROM read_parquet(?, hive_partitioning = false) ORDER BY file, byte_offset, part""", [files]).fetchall()
    return [Line(*r) for r in rows]


@dataclass
class Quarantine:
    source: str
    rows: list[tuple] = field(default_factory=list)

    def add(self, kind: str, file: str, byte_offset: int | None, line_no: int | None, day: date, reason: str,
            excerpt: str, state: str = "rejected") -> None:
        self.rows.append((self.source, kind, file, byte_offset, line_no, day, reason, excerpt[:160], state))

    def wrong_type(self, line: Line, problems: list[str], what: str) -> None:
        kind = "missing_field" if all(p.endswith(": missing") for p in problems) else "wrong_type"
        label = "missing field" if kind == "missing_field" else "wrong type"
        self.add(kind, line.file, line.byte_offset, line.line_no, line.day,
                 f"{what}: {label}: " + "; ".join(problems), line.text)

    def flush(self, conn: duckdb.DuckDBPyConnection) -> int:
        if self.rows:
            conn.executemany("INSERT INTO quarantine VALUES (?, 'normalize', ?, ?, ?, ?, ?, ?, ?, ?, now())", self.rows)
        n = len(self.rows)
        self.rows = []
        return n
