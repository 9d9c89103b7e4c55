"""The warehouse contract and what is generated from it: descriptions everywhere, committed artefacts equal
to what the contract generates, Dagster's column schema on the real Definitions, rows checked by models."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey, TableSchema
from pydantic import ValidationError

from ccp_assets.checks.suites import EXPECTATIONS_DIR, build_suite, stale_suites
from ccp_assets.model.contract import ENTITY_TABLES, TABLES, column_list, columns, table_schema, validate_rows
from ccp_assets.model.schemas import TABLE_SCHEMAS_DIR, stale_schemas, stale_table_schemas


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_and_column_has_a_description(table: str) -> None:
    assert TABLES[table].description, table
    assert [c.name for c in columns(table) if len(c.description) < 4] == []


def test_committed_json_schemas_are_what_the_contract_generates() -> None:
    assert stale_schemas() == [], "run `ccp schemas write` and commit schemas/v1"
    assert stale_table_schemas() == [], "run `ccp schemas write` and commit schemas/warehouse"
    assert sorted(p.stem for p in TABLE_SCHEMAS_DIR.glob("*.json")) == sorted(TABLES)


def test_table_json_schema_names_each_column_type_and_order() -> None:
    doc = json.loads((TABLE_SCHEMAS_DIR / "landing_files.json").read_text())
    assert doc["x-primary-key"] == ["source", "path"]
    assert doc["x-columns"][:3] == ["source", "path", "dev"]
    assert doc["properties"]["dev"]["x-duckdb-type"] == "UBIGINT"
    assert set(doc["required"]) == {"source", "path"}
    turns = json.loads((TABLE_SCHEMAS_DIR / "turns.json").read_text())
    assert turns["x-columns"][-1] == "extras" and turns["properties"]["extras"]["x-duckdb-type"] == "JSON"


def test_committed_suites_are_what_the_contract_generates_and_keep_their_expectations() -> None:
    assert stale_suites() == [], "run `ccp schemas write` and commit schemas/expectations"
    turns = build_suite("turns")
    exps = {(e["type"], json.dumps(e["kwargs"], sort_keys=True)) for e in turns["expectations"]}
    # written out by hand from the v1 Turn model and its keys, not from the generator
    assert ("expect_column_values_to_be_in_set",
            json.dumps({"column": "input_kind", "value_set": ["text", "image", "other"]}, sort_keys=True)) in exps
    assert ("expect_column_values_to_be_between",
            json.dumps({"column": "tokens_in", "min_value": 0}, sort_keys=True)) in exps
    assert ("expect_column_values_to_be_unique", json.dumps({"column": "turn_id"})) in exps
    assert sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json")) == sorted(ENTITY_TABLES)


def test_dagster_table_schema_carries_types_descriptions_and_constraints() -> None:
    schema = table_schema("column_profiles")
    assert isinstance(schema, TableSchema)
    by_name = {c.name: c for c in schema.columns}
    assert list(by_name) == ["suite", "source", "day", "column", "rows", "nulls", "passed"]
    assert by_name["day"].type == "DATE" and by_name["day"].constraints.nullable is False
    assert by_name["rows"].constraints.nullable is True and by_name["rows"].constraints.other == [">= 0"]
    assert schema.constraints.other == ["primary key (suite, source, day, column)"]
    turns = {c.name: c for c in table_schema("turns").columns}
    assert turns["turn_id"].constraints.unique and not turns["turn_id"].constraints.nullable
    assert turns["input_kind"].constraints.other == ["one of: text, image, other"]
    assert turns["tokens_in"].description == "gen_ai.usage.input_tokens (uncached input)"


def test_assets_of_the_real_definitions_carry_their_tables_column_schema() -> None:
    from ccp_assets.definitions import defs

    for asset, table in [("unified_turns", "unified_turns"), ("usage_cost", "cost_daily"),
                         ("churn_daily", "churn_daily"), ("measurements", "measurements")]:
        md = defs.get_assets_def(asset).metadata_by_key[AssetKey(asset)]
        schema = md["dagster/column_schema"]
        assert [c.name for c in schema.columns] == [c.name for c in columns(table)], asset
        assert all(c.description for c in schema.columns), asset


def test_rows_are_checked_against_their_table_model() -> None:
    ok = {"day": "2026-01-05", "kind": "models_mixed", "plan": "community", "provider": "zai", "model": "glm-4.6",
          "calls": 3, "finding": "GLM answered 3 calls under a plan without models_mixed"}
    assert validate_rows("policy_findings", [ok])[0].calls == 3
    with pytest.raises(ValidationError, match="kind"):
        validate_rows("policy_findings", [{**ok, "kind": "made_up"}])
    with pytest.raises(ValidationError, match="calls"):
        validate_rows("policy_findings", [{**ok, "calls": -1}])
    with pytest.raises(ValidationError, match="surprise"):  # an operational table has no room for unknown keys
        validate_rows("policy_findings", [{**ok, "surprise": 1}])
    # an entity table keeps unknown upstream fields (extras), and its extras column is not a model field
    assert validate_rows("turns", [{"turn_id": "t", "extras": {"x": 1}, "new_field": 1}])[0].turn_id == "t"


def test_column_list_quotes_every_column_in_warehouse_order() -> None:
    assert column_list("partition_stats") == '"source", "day", "lines", "quarantined", "share"'
