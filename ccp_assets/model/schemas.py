"""JSON Schemas generated from the contract (never edited by hand).

- `schemas/v1/<entity>.json`: the unified v1 entities as clients send them (the pydantic models in v1.py).
- `schemas/warehouse/<table>.json`: every warehouse table's row, with each column's DuckDB type
  (`x-duckdb-type`), the column order and the primary key, generated from model/contract.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ccp_assets.model.v1 import ENTITIES, SCHEMA_VERSION

REPO_SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "v1"
TABLE_SCHEMAS_DIR = REPO_SCHEMAS_DIR.parent / "warehouse"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _text(schema: dict[str, Any]) -> str:
    """Stable JSON (sorted keys, trailing newline) so a diff means a real change."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text of each v1 entity."""
    out: dict[str, str] = {}
    for name, model in ENTITIES.items():
        schema = model.model_json_schema()
        schema["$schema"] = DRAFT
        schema["$id"] = f"{SCHEMA_VERSION}/{name}.json"
        out[f"{name}.json"] = _text(schema)
    return out


def table_json_schema(table: str) -> dict[str, Any]:
    """The JSON Schema of one warehouse table's row (the `extras` column of entity tables included)."""
    from ccp_assets.model.contract import TABLES, columns

    t = TABLES[table]
    schema = t.model.model_json_schema(by_alias=True)
    props = schema.setdefault("properties", {})
    for c in columns(table):
        prop = props.setdefault(c.name, {"description": c.description})
        prop["x-duckdb-type"] = prop.pop("sql", c.sql)
    schema.update({"$schema": DRAFT, "$id": f"warehouse/{table}.json", "title": table,
                   "description": t.description, "x-kind": t.kind, "x-primary-key": list(t.primary_key),
                   "x-columns": [c.name for c in columns(table)]})
    return schema


def render_table_schemas() -> dict[str, str]:
    from ccp_assets.model.contract import TABLES

    return {f"{t}.json": _text(table_json_schema(t)) for t in TABLES}


def _write(rendered: dict[str, str], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered.items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


def _stale(rendered: dict[str, str], directory: Path) -> list[str]:
    """Names whose committed file differs from what the contract generates (schema drift), or is missing,
    or is committed without being generated."""
    have = {p.name for p in directory.glob("*.json")} if directory.exists() else set()
    return sorted({n for n, t in rendered.items() if n not in have or (directory / n).read_text() != t}
                  | (have - set(rendered)))


def write_schemas(directory: Path = REPO_SCHEMAS_DIR) -> list[Path]:
    return _write(render_schemas(), directory)


def stale_schemas(directory: Path = REPO_SCHEMAS_DIR) -> list[str]:
    return _stale(render_schemas(), directory)


def write_table_schemas(directory: Path = TABLE_SCHEMAS_DIR) -> list[Path]:
    return _write(render_table_schemas(), directory)


def stale_table_schemas(directory: Path = TABLE_SCHEMAS_DIR) -> list[str]:
    return _stale(render_table_schemas(), directory)
