"""DuckDB SQL builders for reading typed fields out of landed JSON without ever coercing a type.

Every source normalizer says which fields it expects and of what kind; these helpers give the typed
column expression, the list of fields whose JSON type was wrong (`type_drift`, e.g.
`input_tokens:VARCHAR`) and the object of fields nobody mapped to a column (`extras`), so an unknown
upstream field is kept, never dropped, and a wrong type is never silently turned into a value.
"""

from __future__ import annotations

from dataclasses import dataclass

INT_TYPES = "('UBIGINT', 'BIGINT')"
NUM_TYPES = "('UBIGINT', 'BIGINT', 'DOUBLE')"


@dataclass(frozen=True)
class Field:
    """`col` is filled from JSON path `path` (dotted, relative to the object) when its type is `kind`.

    kinds: int (an integral number; 118.0 counts), num, str, text (a string or a number, read as text),
    bool, ts (ISO text or epoch s/ms),
    json (anything, kept as JSON), obj, arr, strlist (array, read as VARCHAR[]).
    """

    col: str
    path: str
    kind: str


def _p(path: str) -> str:
    return "$." + ".".join(f'"{k}"' for k in path.split("."))


def typed(j: str, f: Field) -> str:
    """The typed value of field f in JSON expression j, NULL when absent, JSON null or the wrong type."""
    p = _p(f.path)
    t = f"json_type({j}, '{p}')"
    v = f"({j}->>'{p}')"
    if f.kind == "int":
        return (f"CASE WHEN {t} IN {INT_TYPES} THEN TRY_CAST({v} AS BIGINT) "
                f"WHEN {t} = 'DOUBLE' AND TRY_CAST({v} AS DOUBLE) = round(TRY_CAST({v} AS DOUBLE)) "
                f"THEN TRY_CAST(TRY_CAST({v} AS DOUBLE) AS BIGINT) END")
    if f.kind == "num":
        return f"CASE WHEN {t} IN {NUM_TYPES} THEN TRY_CAST({v} AS DOUBLE) END"
    if f.kind == "str":
        return f"CASE WHEN {t} = 'VARCHAR' THEN {v} END"
    if f.kind == "text":
        return f"CASE WHEN {t} IN ('VARCHAR', 'UBIGINT', 'BIGINT', 'DOUBLE') THEN {v} END"
    if f.kind == "bool":
        return f"CASE WHEN {t} = 'BOOLEAN' THEN TRY_CAST({v} AS BOOLEAN) END"
    if f.kind == "ts":
        return (f"CASE WHEN {t} IN {NUM_TYPES} THEN to_timestamp(TRY_CAST({v} AS DOUBLE) / "
                f"CASE WHEN TRY_CAST({v} AS DOUBLE) > 1e11 THEN 1000 ELSE 1 END) "
                f"WHEN {t} = 'VARCHAR' THEN TRY_CAST({v} AS TIMESTAMPTZ) END")
    if f.kind == "json":
        return f"CASE WHEN {t} <> 'NULL' THEN ({j}->'{p}') END"
    if f.kind == "obj":
        return f"CASE WHEN {t} = 'OBJECT' THEN ({j}->'{p}') END"
    if f.kind == "arr":
        return f"CASE WHEN {t} = 'ARRAY' THEN ({j}->'{p}') END"
    if f.kind == "strlist":
        return f"CASE WHEN {t} = 'ARRAY' THEN TRY_CAST(from_json({j}->'{p}', '[\"VARCHAR\"]') AS VARCHAR[]) END"
    raise ValueError(f"unknown field kind {f.kind!r}")


def columns(j: str, fields: list[Field]) -> str:
    """`typed AS col` for every field, comma-separated."""
    return ",\n    ".join(f'{typed(j, f)} AS "{f.col}"' for f in fields)


def drift(j: str, fields: list[Field], prefix: str = "") -> str:
    """VARCHAR[] naming each present, non-null field whose typed value came out NULL: `path:JSONTYPE`."""
    checks = []
    for f in fields:
        if f.kind == "json":
            continue
        p = _p(f.path)
        checks.append(f"CASE WHEN json_type({j}, '{p}') IS NOT NULL AND json_type({j}, '{p}') <> 'NULL' "
                      f"AND ({typed(j, f)}) IS NULL THEN '{prefix}{f.path}:' || json_type({j}, '{p}') END")
    if not checks:
        return "CAST([] AS VARCHAR[])"
    return f"list_filter([{', '.join(checks)}], x -> x IS NOT NULL)"


def extras(j: str, known: list[str]) -> str:
    """The top-level members of object j whose key is not in `known`, as JSON (NULL when none)."""
    keys = "[" + ", ".join("'" + k.replace("'", "''") + "'" for k in sorted(set(known))) + "]"
    kept = (f"list_filter(map_entries(CAST({j} AS MAP(VARCHAR, JSON))), "
            f"e -> NOT list_contains(CAST({keys} AS VARCHAR[]), e.key))")
    return (f"CASE WHEN json_type({j}) = 'OBJECT' AND len({kept}) > 0 "
            f"THEN to_json(map_from_entries({kept})) END")


def top_keys(fields: list[Field]) -> list[str]:
    return sorted({f.path.split(".")[0] for f in fields})
