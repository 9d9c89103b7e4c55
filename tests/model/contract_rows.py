"""Every row the real graph writes satisfies its table's model: the contract's types, enums and lower bounds
are claims about the data, so they are checked against the data. Called by the test that runs the whole graph
on the demo generator's data (tests/sources/test_all_sources_demo.py), so no second graph run is needed."""

from __future__ import annotations

import json
from typing import Any

from ccp_assets.model.contract import TABLES, columns, validate_rows
from tests.helpers import query

# tables the demo data must fill, so the check has rows to judge in every layer
FILLED = ("turns", "sessions", "windows", "routing_decisions", "commits", "glm_counts", "unified_turns",
          "priced_turns", "usage_model_daily", "features_daily", "efficiency_daily", "model_mix_daily",
          "routing_daily", "landing_files", "check_results", "prices", "source_prices", "warehouse_schema")


def _decoded(table: str, row: tuple) -> dict[str, Any]:
    """A warehouse row as the model takes it: JSON columns come back from DuckDB as text."""
    out = {}
    for c, v in zip(columns(table), row, strict=True):
        if v is not None and c.sql == "JSON":
            v = json.loads(v)
        elif v is not None and c.sql == "JSON[]":
            v = [json.loads(x) for x in v]
        out[c.name] = v
    return out


def assert_rows_satisfy_contract() -> None:
    """Validate every row of every warehouse table (raises pydantic's ValidationError on a broken claim)."""
    seen = {}
    for table in TABLES:
        names = ", ".join(f'"{c.name}"' for c in columns(table))
        rows = [_decoded(table, r) for r in query(f"SELECT {names} FROM {table}")]
        validate_rows(table, rows)
        seen[table] = len(rows)
    assert [t for t in FILLED if not seen[t]] == []
