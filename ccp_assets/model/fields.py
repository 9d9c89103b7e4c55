"""Shorthands for the warehouse table models: every column says what it holds (`description` is required).

`sql=` names a DuckDB type when the Python type alone would map to another one (an unsigned inode number);
everything else maps by type (model/contract.py `duckdb_type`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Row(BaseModel):
    """A row of an operational, ledger or measurement table: unknown keys are a bug, so they fail."""

    model_config = ConfigDict(extra="forbid")


def col(description: str, *, sql: str | None = None, **kw: Any) -> Any:
    """An optional (nullable) column."""
    return Field(None, description=description, json_schema_extra={"sql": sql} if sql else None, **kw)


def key(description: str, *, sql: str | None = None, **kw: Any) -> Any:
    """A required column: part of the table's primary key (NOT NULL in the warehouse)."""
    return Field(description=description, json_schema_extra={"sql": sql} if sql else None, **kw)
