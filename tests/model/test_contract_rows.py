"""Every row the real graph writes satisfies its table's model: the contract's types, enums and lower bounds
are claims about the data, so they are checked against the data (the demo generator's, every source at once)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from ccp_assets.model.contract import TABLES, columns, validate_rows
from tests.helpers import materialize_all, query

generate = pytest.importorskip("ccp_assets.demo.generate")
END = dt.date(2026, 2, 8)


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


def test_every_row_of_every_table_validates_against_its_model(ccp_env, monkeypatch):
    manifest = generate.write_demo_data(ccp_env.tmp / "demo", days=2, end=END)
    for k, v in manifest.env().items():
        monkeypatch.setenv(k, v)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome and outcome.failures
    seen = {}
    for table in TABLES:
        names = ", ".join(f'"{c.name}"' for c in columns(table))
        rows = [_decoded(table, r) for r in query(f"SELECT {names} FROM {table}")]
        validate_rows(table, rows)  # raises, naming the field and value, on the first broken claim
        seen[table] = len(rows)
    # the check had rows to judge in every layer: entities, ledgers, measurements, bookkeeping
    for table in ("turns", "sessions", "windows", "routing_decisions", "commits", "glm_counts", "unified_turns",
                  "priced_turns", "usage_model_daily", "features_daily", "efficiency_daily", "model_mix_daily",
                  "routing_daily", "landing_files", "check_results", "prices", "warehouse_schema"):
        assert seen[table] > 0, table
