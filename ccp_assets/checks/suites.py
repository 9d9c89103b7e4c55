"""Expectation suites for the normalized tables, generated from the pydantic models.

`schemas/expectations/<table>.json` are the committed, reviewable form; a test fails when they and
the models disagree (regenerate with `ccp schemas write`). Static expectations come from the models
(columns, enums, `ge=0` ranges) plus the keys below; dynamic ones are added per partition at run time
(see checks/drift.py) because they depend on history: columns never null before, rows expected
because the source had lines that day, the share of quarantined lines.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ccp_assets.model.v1 import SCHEMA_VERSION
from ccp_assets.warehouse.schema import ENTITY_TABLES

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "expectations"

# Keys and enums the models cannot say by themselves (the models allow None for v1 compatibility).
# `by_source` rules apply to one source's rows only (a proxy error turn has no tokens; a transcript turn must).
TABLE_RULES: dict[str, dict[str, Any]] = {
    "turns": {"not_null": ["turn_id", "source", "day", "ts"], "unique": ["turn_id"], "null": ["type_drift"],
              "by_source": {
                  # `history_exempt`: rows the history-derived not-null rule skips. A synthetic message
                  # (Claude Code's local placeholder: no API call) has no request id or service tier by
                  # nature; ccusage counts it, so do we, and its nulls say nothing about drift.
                  "claude_code": {"not_null": ["model", "tokens_in", "tokens_out"],
                                  "history_exempt": {"model": ["<synthetic>"]},
                                  "in_set": {"provider": ["anthropic", "zai", "openai", "unknown"],
                                             "service_tier": ["standard", "priority", "batch"]}},
                  "ccp_proxy": {"not_null": ["lane"]},
                  "ccc": {"not_null": ["session_id"]}}},
    # sessions are session x day rows: unique per day, and a batch judges several days at once
    "sessions": {"not_null": ["session_id", "source", "day"], "unique_together": [["session_id", "day"]]},
    "routing_decisions": {"not_null": ["day", "ts"], "null": ["type_drift"]},
    # `optional`: columns the history-derived not-null rule skips. A GLM window is counted in prompts
    # (glm_counts.jsonl), so it has no 5-hour/weekly bar and often no commit range: those columns are null
    # by design on some days, never "a null share jumping".
    "windows": {"not_null": ["window", "finalized_at", "day"],
                "optional": ["capacity_5h_delta", "capacity_weekly_delta", "commit_range", "capacity_raw",
                             "before", "after", "delta", "captured_before", "captured_after"]},
    "features": {"not_null": ["feature_id", "spec_ref", "status"]},
    "commits": {"not_null": ["sha", "day"], "unique": ["sha"]},
}

DYNAMIC = [
    {"type": "expect_column_values_to_not_be_null", "when": "the column had no null in every earlier passing partition"},
    {"type": "expect_table_row_count_to_be_between", "when": "the source landed lines for the day", "kwargs": {"min_value": 1}},
    {"type": "expect_column_values_to_be_between", "column": "quarantine_share",
     "when": "the source had at least 20 lines that day (landing statistics)", "kwargs": {"max_value": 0.05}},
    {"type": "expect_column_values_to_be_between", "column": "quarantine_vs_trailing_median",
     "when": "the source has a trailing median > 0", "kwargs": {"max_value": 10}},
]


def _inner(annotation: Any) -> Any:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _model_expectations(model: type[BaseModel]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"type": "expect_table_columns_to_match_set",
                                  "kwargs": {"column_set": [*model.model_fields, "extras"], "exact_match": True}}]
    for name, field in model.model_fields.items():
        inner = _inner(field.annotation)
        if get_origin(inner) is Literal:
            out.append({"type": "expect_column_values_to_be_in_set",
                        "kwargs": {"column": name, "value_set": list(get_args(inner))}})
        lower = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        if lower is not None and inner in (int, float):
            out.append({"type": "expect_column_values_to_be_between", "kwargs": {"column": name, "min_value": lower}})
    return out


def _rule_expectations(rules: dict[str, Any]) -> list[dict[str, Any]]:
    exps = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c}} for c in rules.get("not_null", [])]
    exps += [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": c}} for c in rules.get("unique", [])]
    exps += [{"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": cols}}
             for cols in rules.get("unique_together", [])]
    exps += [{"type": "expect_column_values_to_be_null", "kwargs": {"column": c}} for c in rules.get("null", [])]
    exps += [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": c, "value_set": v}}
             for c, v in rules.get("in_set", {}).items()]
    return exps


def build_suite(table: str) -> dict[str, Any]:
    model = ENTITY_TABLES[table]
    rules = TABLE_RULES.get(table, {})
    return {"name": table, "model": model.__name__, "schema_version": SCHEMA_VERSION,
            "expectations": _model_expectations(model) + _rule_expectations(rules),
            "by_source": {src: _rule_expectations(r) for src, r in rules.get("by_source", {}).items()},
            "dynamic": DYNAMIC}


def render_suites() -> dict[str, str]:
    return {f"{t}.json": json.dumps(build_suite(t), indent=2, sort_keys=True) + "\n" for t in ENTITY_TABLES}


def write_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in render_suites().items():
        (directory / name).write_text(text)
        paths.append(directory / name)
    return paths


def stale_suites(directory: Path = EXPECTATIONS_DIR) -> list[str]:
    return [n for n, t in render_suites().items() if not (directory / n).exists() or (directory / n).read_text() != t]


def load_suite(table: str) -> dict[str, Any]:
    """The committed suite when present (what reviewers saw), else the generated one."""
    path = EXPECTATIONS_DIR / f"{table}.json"
    return json.loads(path.read_text()) if path.exists() else build_suite(table)


def history_rule(table: str, source: str) -> tuple[frozenset[str], dict[str, list[Any]]]:
    """What the history-derived not-null rule leaves alone for one table and source: its optional columns
    and the rows it exempts (column -> values), both from `TABLE_RULES`."""
    rules = TABLE_RULES.get(table, {})
    by_source = rules.get("by_source", {}).get(source, {})
    return frozenset(rules.get("optional", ())), by_source.get("history_exempt", {})

