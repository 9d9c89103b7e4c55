"""Drift detection for one normalized table, one source, one day: GX suite + history + a drift report.

Drift is systematic (a renamed field, a number turned string, a new enum value, a column gone, a day
suddenly empty or full of unparseable lines); one bad line is quarantine's business. Each evaluation
is stored in `check_results` so that downstream steps, in this run or a later one, can refuse the day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from statistics import median
from typing import Any

import duckdb

from ccp_assets.checks import gx_runner
from ccp_assets.checks.suites import load_suite
from ccp_assets.settings import Settings
from ccp_assets.sources.landing import day_files

# Which landed lines should produce rows in a table (default: any line of the source).
EXPECTED_ROWS_FILTER: dict[tuple[str, str], str] = {
    ("turns", "claude_code"): "(line::JSON->>'$.type') = 'assistant'",
    ("sessions", "claude_code"): "(line::JSON->>'$.sessionId') IS NOT NULL",
}
TRAILING = 14


@dataclass
class DriftReport:
    suite: str
    source: str
    day: str
    passed: bool = True
    failures: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    last_passing_day: str | None = None

    @property
    def summary(self) -> str:
        if self.passed:
            return f"{self.suite}[{self.source}] {self.day}: {self.stats.get('rows', 0)} rows pass"
        parts = []
        for f in self.failures[:4]:
            where = f", in {', '.join(_short(x) for x in f['files'][:2])}" if f.get("files") else ""
            parts.append(f"{f['what']}{where}")
        since = f"; last passing day {self.last_passing_day}" if self.last_passing_day else ""
        return f"{self.suite}[{self.source}] {self.day}: drift: " + "; ".join(parts) + since

    def as_dict(self) -> dict[str, Any]:
        return jsonable({"suite": self.suite, "source": self.source, "day": self.day, "passed": self.passed,
                "summary": self.summary, "failures": self.failures, "stats": self.stats,
                "last_passing_day": self.last_passing_day})


def jsonable(value: Any) -> Any:
    """Plain JSON values: pandas NA / NaN become null, numpy scalars and arrays become Python ones."""
    import math

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _short(f: dict[str, Any]) -> str:
    name = str(f.get("file") or "?").rsplit("/", 1)[-1]
    return f"{name} (version {f['version']})" if f.get("version") else name


def _landing_stats(conn: duckdb.DuckDBPyConnection, settings: Settings, table: str, source: str, day: str) -> dict:
    files = day_files(settings, source, [day])
    lines = expected = 0
    if files:
        flt = EXPECTED_ROWS_FILTER.get((table, source), "true")
        lines, expected = conn.execute(f"SELECT count(*), count(*) FILTER (WHERE {flt}) FROM read_parquet(?)",
                                       [files]).fetchone()
    quarantined = conn.execute("SELECT count(*) FROM quarantine WHERE source = ? AND day = ? AND state <> 'held'",
                               [source, day]).fetchone()[0]
    share = quarantined / (lines + quarantined) if lines + quarantined else 0.0
    prior = [r[0] for r in conn.execute(
        "SELECT share FROM partition_stats WHERE source = ? AND day < ? AND lines > 0 ORDER BY day DESC LIMIT ?",
        [source, day, TRAILING]).fetchall()]
    med = median(prior) if prior else None
    conn.execute("INSERT OR REPLACE INTO partition_stats VALUES (?, ?, ?, ?, ?)", [source, day, lines, quarantined, share])
    return {"lines": lines, "expected_row_lines": expected, "quarantined": quarantined,
            "quarantine_share": round(share, 6), "trailing_median_share": med}


def _history(conn: duckdb.DuckDBPyConnection, suite: str, source: str, day: str) -> tuple[list[str], str | None]:
    """Columns never null in every earlier passing partition, and the last passing day."""
    last = conn.execute("SELECT max(day) FROM column_profiles WHERE suite = ? AND source = ? AND day < ? AND passed "
                        "AND rows > 0",
                        [suite, source, day]).fetchone()[0]
    if last is None:
        return [], None
    cols = [r[0] for r in conn.execute(
        """SELECT "column" FROM column_profiles WHERE suite = ? AND source = ? AND day < ? AND passed AND rows > 0
           GROUP BY 1 HAVING max(nulls) = 0""", [suite, source, day]).fetchall()]
    return cols, str(last)


def _predicate(o: gx_runner.Outcome) -> str | None:
    col = o.kwargs.get("column")
    if col is None:
        return None
    q = f'"{col}"'
    if o.type == "expect_column_values_to_not_be_null":
        return f"{q} IS NULL"
    if o.type == "expect_column_values_to_be_null":
        return f"{q} IS NOT NULL"
    if o.type == "expect_column_values_to_be_in_set":
        vals = ", ".join("'" + str(v).replace("'", "''") + "'" for v in o.kwargs["value_set"])
        return f"{q} IS NOT NULL AND CAST({q} AS VARCHAR) NOT IN ({vals})"
    if o.type == "expect_column_values_to_be_between" and o.kwargs.get("min_value") is not None:
        return f"{q} < {o.kwargs['min_value']}"
    return None


def _describe(o: gx_runner.Outcome, stats: dict[str, Any]) -> str:
    col = o.kwargs.get("column")
    n = o.unexpected_count
    ex = ", ".join(str(x) for x in o.examples[:3])
    if o.type == "expect_column_values_to_be_null" and col == "type_drift":
        fields = sorted({f for x in o.examples for f in (x or [])})
        return f"fields with an unexpected JSON type or missing: {', '.join(fields)} in {n} rows"
    if o.type == "expect_column_values_to_not_be_null":
        return f"column {col} is null in {n} rows"
    if o.type == "expect_column_values_to_be_in_set":
        return f"column {col} has values outside its set: {ex} ({n} rows)"
    if o.type == "expect_column_values_to_be_between":
        return f"column {col} out of range: {ex} ({n} rows)"
    if o.type == "expect_column_values_to_be_unique":
        return f"column {col} not unique: {ex}"
    if o.type == "expect_table_row_count_to_be_between":
        return f"no rows although the source landed {stats.get('expected_row_lines')} lines that should make rows"
    if o.type == "expect_table_columns_to_match_set":
        return f"table columns differ from the model: {o.observed}"
    return f"{o.type} failed on {col or 'table'}"


def evaluate(conn: duckdb.DuckDBPyConnection, settings: Settings, table: str, source: str, day: str) -> DriftReport:
    """Run the table's suite on the day's rows of one source; record profile, stats and the outcome."""
    suite = load_suite(table)
    report = DriftReport(table, source, day)
    df = conn.execute(f"SELECT * FROM {table} WHERE source = ? AND day = ?", [source, day]).df()
    stats = _landing_stats(conn, settings, table, source, day)
    stats["rows"] = len(df)
    report.stats = stats
    established, report.last_passing_day = _history(conn, table, source, day)
    exps = [dict(e) for e in suite["expectations"]]
    static_not_null = {e["kwargs"].get("column") for e in exps if e["type"] == "expect_column_values_to_not_be_null"}
    exps += [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c}, "dynamic": True}
             for c in established if c in df.columns and c not in static_not_null]
    if stats["expected_row_lines"] > 0:
        exps.append({"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}})
    outcomes = gx_runner.validate(df, exps, f"{table}.{source}") if len(df) or stats["expected_row_lines"] else []
    import pandas as pd

    stat_df = pd.DataFrame([{"quarantine_share": stats["quarantine_share"],
                             "quarantine_vs_trailing_median": (stats["quarantine_share"] / stats["trailing_median_share"])
                             if stats["trailing_median_share"] else 0.0}])
    if stats["lines"] or stats["quarantined"]:
        outcomes += gx_runner.validate(stat_df, [
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "quarantine_share", "max_value": 0.05}},
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "quarantine_vs_trailing_median", "max_value": 10}}], f"{table}.{source}.landing")
    has_prov = {"file", "version"} <= set(df.columns)
    for o in outcomes:
        if o.success:
            continue
        failure: dict[str, Any] = {"expectation": o.type, "column": o.kwargs.get("column"),
                                   "unexpected_count": o.unexpected_count, "examples": o.examples,
                                   "what": _describe(o, stats)}
        if o.kwargs.get("column", "").startswith("quarantine"):
            failure["what"] = (f"{stats['quarantined']} of {stats['lines'] + stats['quarantined']} lines quarantined "
                               f"({stats['quarantine_share']:.1%}; trailing median {stats['trailing_median_share']})")
        pred = _predicate(o)
        if pred and has_prov:
            failure["files"] = [{"file": f, "version": v, "rows": n} for f, v, n in conn.execute(
                f"SELECT file, version, count(*) FROM {table} WHERE source = ? AND day = ? AND {pred} "
                "GROUP BY ALL ORDER BY 3 DESC LIMIT 3", [source, day]).fetchall()]
        col = o.kwargs.get("column")
        if report.last_passing_day and col and o.type == "expect_column_values_to_not_be_null":
            before = conn.execute('SELECT rows, nulls FROM column_profiles WHERE suite = ? AND source = ? AND day = ? '
                                  'AND "column" = ?', [table, source, report.last_passing_day, col]).fetchone()
            if before:
                failure["before"] = {"day": report.last_passing_day, "rows": before[0], "nulls": before[1]}
        report.failures.append(failure)
    report.passed = not report.failures
    conn.executemany("INSERT OR REPLACE INTO column_profiles VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [(table, source, day, c, len(df), int(df[c].isna().sum()), report.passed) for c in df.columns])
    return report


def record(conn: duckdb.DuckDBPyConnection, check_name: str, asset: str, report: DriftReport, run_id: str) -> None:
    conn.execute("INSERT INTO check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 [check_name, asset, report.suite, report.source, report.day, report.passed, report.summary,
                  json.dumps(report.as_dict(), default=str), run_id, datetime.now(UTC)])


def blocked_days(conn: duckdb.DuckDBPyConnection, days: list[str]) -> dict[str, list[str]]:
    """Days whose latest result of some check failed: downstream steps must not use them."""
    rows = conn.execute("""
        SELECT CAST(day AS VARCHAR), summary FROM (
            SELECT *, row_number() OVER (PARTITION BY check_name, asset, day ORDER BY evaluated_at DESC) AS rn
            FROM check_results WHERE CAST(day AS VARCHAR) IN (SELECT unnest(?)))
        WHERE rn = 1 AND NOT passed ORDER BY 1""", [days]).fetchall()
    out: dict[str, list[str]] = {}
    for d, s in rows:
        out.setdefault(d, []).append(s)
    return out


def as_date(day: str) -> date:
    return date.fromisoformat(day)
