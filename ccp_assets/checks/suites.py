"""Expectation suites for the normalized tables, generated from the warehouse contract (model/contract.py).

`schemas/expectations/<table>.json` are the committed, reviewable form; a test fails when they and
the contract disagree (regenerate with `ccp schemas write`). Static expectations come from the contract's
columns (names, enums, `ge=0` ranges) plus its keys (`model/rules.py`); dynamic ones are added per partition at run time
(see checks/drift.py) because they depend on history: columns never null before, rows expected
because the source had lines that day, the share of quarantined lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ccp_assets.model.contract import ENTITY_TABLES, columns
from ccp_assets.model.rules import TABLE_RULES
from ccp_assets.model.v1 import SCHEMA_VERSION

__all__ = ["TABLE_RULES", "build_suite", "history_rule", "load_suite", "render_suites", "stale_suites", "write_suites"]

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "expectations"

DYNAMIC = [
    {"type": "expect_column_values_to_not_be_null", "when": "the column had no null in every earlier passing partition"},
    {"type": "expect_table_row_count_to_be_between", "when": "the source landed lines for the day", "kwargs": {"min_value": 1}},
    {"type": "expect_column_values_to_be_between", "column": "quarantine_share",
     "when": "the source had at least 20 lines that day (landing statistics)", "kwargs": {"max_value": 0.05}},
    {"type": "expect_column_values_to_be_between", "column": "quarantine_vs_trailing_median",
     "when": "the source has a trailing median > 0", "kwargs": {"max_value": 10}},
]


def _column_expectations(table: str) -> list[dict[str, Any]]:
    cols = columns(table)
    out: list[dict[str, Any]] = [{"type": "expect_table_columns_to_match_set",
                                  "kwargs": {"column_set": [c.name for c in cols], "exact_match": True}}]
    for c in cols:
        if c.enum:
            out.append({"type": "expect_column_values_to_be_in_set", "kwargs": {"column": c.name, "value_set": list(c.enum)}})
        if c.minimum is not None and c.sql in ("BIGINT", "DOUBLE"):
            out.append({"type": "expect_column_values_to_be_between", "kwargs": {"column": c.name, "min_value": c.minimum}})
    return out


def _rule_expectations(rules: dict[str, Any]) -> list[dict[str, Any]]:
    exps = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c}} for c in rules.get("not_null", [])]
    exps += [{"type": "expect_column_values_to_not_be_null",
              "kwargs": {"column": c, "row_condition": cond, "condition_parser": "pandas"}}
             for c, cond in rules.get("not_null_where", {}).items()]
    exps += [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": c}} for c in rules.get("unique", [])]
    exps += [{"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": cols}}
             for cols in rules.get("unique_together", [])]
    exps += [{"type": "expect_column_values_to_be_null", "kwargs": {"column": c}} for c in rules.get("null", [])]
    exps += [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": c, "value_set": v}}
             for c, v in rules.get("in_set", {}).items()]
    return exps


def build_suite(table: str) -> dict[str, Any]:
    rules = TABLE_RULES.get(table, {})
    return {"name": table, "model": ENTITY_TABLES[table].__name__, "schema_version": SCHEMA_VERSION,
            "expectations": _column_expectations(table) + _rule_expectations(rules),
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
    suite = json.loads(path.read_text()) if path.exists() else build_suite(table)
    for source, rules in _package_rules(table).items():  # a source package's own rules, beside the core's
        suite["by_source"].setdefault(source, _rule_expectations(rules))
    return suite


def _package_rules(table: str) -> dict[str, dict[str, Any]]:
    """{rows source: rules} that source packages declare for `table` (sources/protocol.py: drift_rules)."""
    from ccp_assets.sources.registry import SOURCES

    return {s.rows_source: s.drift_rules[table] for s in SOURCES if table in s.drift_rules}


def history_rule(table: str, source: str) -> tuple[frozenset[str], dict[str, list[Any]]]:
    """What the history-derived not-null rule leaves alone for one table and source: its optional columns
    and the rows it exempts (column -> values), both from `TABLE_RULES`."""
    rules = TABLE_RULES.get(table, {})
    by_source = rules.get("by_source", {}).get(source) or _package_rules(table).get(source, {})
    return frozenset(rules.get("optional", ())), by_source.get("history_exempt", {})

