"""The warehouse contract: one entry per table, and everything that is generated from it.

Each table is a pydantic model (the v1 entities in model/v1.py, the rest in model/ops.py, model/ledgers.py
and model/measures.py) whose fields say the column's type, nullability, description, enum values and
lower bound; `model/rules.py` adds the keys a model cannot say. From these come, never by hand:
- the warehouse DDL (`create_sql`, run by warehouse/schema.py),
- the JSON Schemas in schemas/ (model/schemas.py) and the GX suites (checks/suites.py),
- Dagster's column schema of an asset (`table_schema`, `column_schema_metadata`),
- the column lists and types inserts use (`columns`, `column_types`, `column_list`).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ccp_assets.model import ledgers, measures, ops, v1
from ccp_assets.model.rules import TABLE_RULES

EXTRAS_DESCRIPTION = "unknown upstream fields of the record, kept whole (a new upstream field never fails)"


@dataclass(frozen=True)
class Table:
    """A warehouse table: its row model, its kind, its primary key, and whether an `extras JSON` column
    follows the model's fields (the v1 entity tables: their models keep unknown fields as extra keys)."""

    name: str
    model: type[BaseModel]
    kind: Literal["entity", "operational", "ledger", "measurement"]
    primary_key: tuple[str, ...] = ()
    extras: bool = False

    @property
    def description(self) -> str:
        return " ".join((self.model.__doc__ or "").split())


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    nullable: bool
    description: str
    enum: tuple[Any, ...] = ()
    minimum: float | None = None


def _t(name: str, model: type[BaseModel], kind: Any, pk: tuple[str, ...] = (), extras: bool = False) -> Table:
    return Table(name, model, kind, pk, extras)


TABLES: dict[str, Table] = {t.name: t for t in (
    _t("landing_files", ops.LandingFile, "operational", ("source", "path")),
    _t("landing_batches", ops.LandingBatch, "operational", ("batch_id",)),
    _t("quarantine", ops.QuarantineRow, "operational"),
    _t("prices", ops.PriceRow, "operational", ("model",)),
    _t("source_prices", ops.SourcePriceRow, "operational", ("source", "model", "valid_from")),
    _t("check_results", ops.CheckResult, "operational"),
    _t("column_profiles", ops.ColumnProfile, "operational", ("suite", "source", "day", "column")),
    _t("partition_stats", ops.PartitionStat, "operational", ("source", "day")),
    _t("cost_daily", ops.CostDaily, "operational"),
    _t("cc_dedup_keys", ops.CcDedupKey, "operational"),
    _t("day_changes", ops.DayChange, "operational"),
    _t("warehouse_schema", ops.WarehouseSchema, "operational"),
    _t("glm_counts", ledgers.GlmCount, "ledger"),
    _t("churn_records", ledgers.ChurnRecord, "ledger"),
    _t("meter_snapshots", ledgers.MeterSnapshot, "ledger"),
    _t("codex_usage", ledgers.CodexUsage, "ledger"),
    _t("proxy_telemetry", ledgers.ProxyTelemetry, "ledger"),
    _t("proxy_daily_summaries", ledgers.ProxyDailySummary, "ledger"),
    _t("unified_turns", ledgers.UnifiedTurn, "ledger"),
    _t("priced_turns", measures.PricedTurn, "measurement"),
    _t("usage_model_daily", measures.UsageModelDaily, "measurement"),
    _t("features_daily", measures.FeaturesDaily, "measurement"),
    _t("efficiency_windows", measures.EfficiencyWindow, "measurement"),
    _t("efficiency_daily", measures.EfficiencyDaily, "measurement"),
    _t("interaction_daily", measures.InteractionDaily, "measurement"),
    _t("churn_daily", measures.ChurnDaily, "measurement"),
    _t("cls_features", measures.ClsFeatures, "measurement"),
    _t("routing_daily", measures.RoutingDaily, "measurement"),
    _t("model_mix_daily", measures.ModelMixDaily, "measurement"),
    _t("policy_findings", measures.PolicyFinding, "measurement"),
    _t("turns", v1.Turn, "entity", extras=True),
    _t("sessions", v1.Session, "entity", extras=True),
    _t("routing_decisions", v1.Decision, "entity", extras=True),
    _t("windows", v1.Window, "entity", extras=True),
    _t("features", v1.Feature, "entity", extras=True),
    _t("measurements", v1.Measurement, "entity", extras=True),
    _t("reported_costs", v1.Cost, "entity", extras=True),
    _t("value_records", v1.Value, "entity", extras=True),
    _t("commits", v1.Commit, "entity", extras=True),
)}

ENTITY_TABLES: dict[str, type[BaseModel]] = {n: t.model for n, t in TABLES.items() if t.kind == "entity"}

_SCALAR = {str: "VARCHAR", int: "BIGINT", float: "DOUBLE", bool: "BOOLEAN", datetime: "TIMESTAMPTZ", date: "DATE"}


def _inner(annotation: Any) -> Any:
    """The annotation without `| None` (a union of several types stays as it is)."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def duckdb_type(annotation: Any) -> str:
    """Map a pydantic field annotation to a DuckDB column type (anything without a column type is JSON)."""
    inner = _inner(annotation)
    origin = get_origin(inner)
    if origin in (typing.Union, types.UnionType):
        return "JSON"
    if origin is Literal:
        return "VARCHAR"
    if origin is list:
        return f"{duckdb_type(get_args(inner)[0])}[]"
    return _SCALAR.get(inner, "JSON")


def _column(name: str, field: FieldInfo, not_null: bool) -> Column:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    inner = _inner(field.annotation)
    enum = get_args(inner) if get_origin(inner) is Literal else ()
    lower = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    return Column(field.alias or name, str(extra.get("sql") or duckdb_type(field.annotation)), not not_null,
                  " ".join((field.description or "").split()), enum, lower)


@cache
def columns(table: str) -> tuple[Column, ...]:
    """The table's columns in warehouse order. Nullable = what the warehouse lets through: a primary-key
    column or one the table's rules require filled is not (a v1 model's required field alone is not
    enforced by the warehouse, so it stays nullable there)."""
    t = TABLES[table]
    filled = set(t.primary_key) | set(TABLE_RULES.get(table, {}).get("not_null", ()))
    cols = [_column(n, f, n in filled) for n, f in t.model.model_fields.items()]
    if t.extras:
        cols.append(Column("extras", "JSON", True, EXTRAS_DESCRIPTION))
    return tuple(cols)


def column_types(table: str) -> dict[str, str]:
    """Column name -> DuckDB type, in warehouse order."""
    return {c.name: c.sql for c in columns(table)}


def column_list(table: str) -> str:
    """The quoted, comma-separated column names: for `INSERT INTO t (<list>) SELECT ...` by name."""
    return ", ".join(f'"{c.name}"' for c in columns(table))


def create_sql(table: str) -> str:
    """`CREATE TABLE IF NOT EXISTS` of one table."""
    t = TABLES[table]
    parts = [f'"{c.name}" {c.sql}' for c in columns(table)]
    if t.primary_key:
        parts.append("PRIMARY KEY (" + ", ".join('"' + k + '"' for k in t.primary_key) + ")")
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(parts)})"


def warehouse_ddl() -> str:
    """Every table's DDL, one statement a line: what warehouse/schema.py runs and hashes."""
    return ";\n".join(create_sql(t) for t in TABLES) + ";\n"


def unique_columns(table: str) -> set[str]:
    t = TABLES[table]
    rules = TABLE_RULES.get(table, {})
    return set(rules.get("unique", ())) | (set(t.primary_key) if len(t.primary_key) == 1 else set())


def table_schema(table: str) -> Any:
    """Dagster's `TableSchema` of a warehouse table: each column's type, description and constraints
    (nullable, unique, enum values, lower bound, primary key), for `dagster/column_schema` metadata."""
    from dagster import TableColumn, TableColumnConstraints, TableConstraints, TableSchema

    t, unique = TABLES[table], unique_columns(table)
    cols = []
    for c in columns(table):
        other = [*(["one of: " + ", ".join(map(str, c.enum))] if c.enum else []),
                 *([f">= {c.minimum:g}"] if c.minimum is not None else [])]
        cols.append(TableColumn(c.name, c.sql, description=c.description or None, constraints=TableColumnConstraints(
            nullable=c.nullable, unique=c.name in unique, other=other)))
    keys = [f"primary key ({', '.join(t.primary_key)})"] if t.primary_key else []
    keys += [f"unique ({', '.join(cs)})" for cs in TABLE_RULES.get(table, {}).get("unique_together", ())]
    return TableSchema(columns=cols, constraints=TableConstraints(other=keys) if keys else None)


def column_schema_metadata(table: str) -> dict[str, Any]:
    """Definition metadata of an asset that writes `table`: its column schema (the Dagster UI's Columns tab)."""
    return {"dagster/column_schema": table_schema(table)}


def validate_rows(table: str, rows: list[dict[str, Any]]) -> list[BaseModel]:
    """Each row as its table's model (raises pydantic's ValidationError naming the model, field and value)."""
    model = TABLES[table].model
    extras = TABLES[table].extras
    return [model.model_validate({k: v for k, v in r.items() if not (extras and k == "extras")}) for r in rows]
