"""Drift detection for one normalized table, one source, one day: GX suite + history + a drift report.

DuckDB profiles the rows (checks/profile.py) and Great Expectations judges the profile. Drift is systematic (a renamed field, a number turned string, a new enum value, a column gone, a day
suddenly empty or full of unparseable lines); one bad line is quarantine's business. A row-level
expectation that only a few rows of a day break (at most `noise_allowance(rows)`, counted over all such
expectations together) is noise: the day passes and the odd rows are listed in the report's `noise` with
their file, byte offset and line (issue 13: one null `request_id` in a real 2.0.76 transcript blocked a
day whose numbers were right). Each evaluation is stored in `check_results` so that downstream steps, in
this run or a later one, can refuse the day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median
from typing import Any

import duckdb

from ccp_assets.checks import gx_runner
from ccp_assets.checks.profile import Batch, Check, Profile, row_checks
from ccp_assets.checks.suites import history_rule, load_suite
from ccp_assets.privacy.redact import mask_text, masked
from ccp_assets.settings import Settings
from ccp_assets.sources.landing import day_files
from ccp_assets.sources.registry import SOURCES
from ccp_assets.warehouse.bulk import insert_rows

# The landing zone each table source is read from (rows' `source` -> landed source name).
LANDING_SOURCE = {s.rows_source: s.name for s in SOURCES}
# Which landed lines must produce rows in a table (each source's `expected_rows`): a day with such lines
# and no rows is drift. Pairs without an entry get no row-count expectation (rows not one-to-one with lines).
EXPECTED_ROWS_FILTER = {(table, s.rows_source): sql for s in SOURCES for table, sql in s.expected_rows.items()}
TRAILING = 14
# Noise versus drift: a day may hold this share of odd rows (at least NOISE_ROWS), always a minority of
# its rows. A field renamed or retyped by a client release breaks every line it writes; a stray line from
# an interrupted write or a one-off API reply breaks one.
NOISE_SHARE = 0.01
NOISE_ROWS = 1
NOISE_SHOWN = 20
# Row-level expectations whose few odd rows are noise; table-level ones (columns), keys (unique) and the
# landing statistics are never tolerated.
TOLERANT = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_null",
                      "expect_column_values_to_be_in_set", "expect_column_values_to_be_between"})
# A value of another type than the contract's is a retyped field (issue 13: "a type changed" is drift),
# never noise, however few lines show it: `type_drift` names it per line.
NEVER_NOISE = frozenset({"type_drift"})
NOISE_SQL = f"least(greatest({NOISE_ROWS}, CAST(floor(rows * {NOISE_SHARE}) AS BIGINT)), (rows - 1) // 2)"
PROVENANCE = ("file", "byte_offset", "line_no", "version")
# Below this many lines a day's quarantine share says nothing (1 bad line in 10 is 10%): not judged.
MIN_LINES_FOR_SHARE = 20


@dataclass
class DriftReport:
    suite: str
    source: str
    day: str
    passed: bool = True
    failures: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    last_passing_day: str | None = None
    noise: list[dict[str, Any]] = field(default_factory=list)
    """Odd rows tolerated as noise: expectation, column, value and where the line is (file, byte offset)."""

    @property
    @masked  # examples and file paths are raw values: secrets, home paths and names never reach a message
    def summary(self) -> str:
        if self.passed:
            return f"{self.suite}[{self.source}] {self.day}: {self.stats.get('rows', 0)} rows pass"
        parts = []
        for f in self.failures[:4]:
            where = f", in {', '.join(_short(x) for x in f['files'][:2])}" if f.get("files") else ""
            parts.append(f"{f['what']}{where}")
        since = f"; last passing day {self.last_passing_day}" if self.last_passing_day else ""
        return f"{self.suite}[{self.source}] {self.day}: drift: " + "; ".join(parts) + since

    @masked
    def as_dict(self) -> dict[str, Any]:
        return jsonable({"suite": self.suite, "source": self.source, "day": self.day, "passed": self.passed,
                "summary": self.summary, "failures": self.failures, "stats": self.stats,
                "last_passing_day": self.last_passing_day, "noise": self.noise})


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


def _bulk_upsert(conn: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """INSERT OR REPLACE many rows in one statement (warehouse/bulk.py, the one bulk writer)."""
    insert_rows(conn, table, [dict(zip(columns, r, strict=True)) for r in rows], replace=True)


def _landing_stats(conn: duckdb.DuckDBPyConnection, settings: Settings, table: str, source: str,
                   days: list[str]) -> dict[str, dict[str, Any]]:
    """Per day: landed lines, lines that should make rows, quarantined lines and their share."""
    flt = EXPECTED_ROWS_FILTER.get((table, source), "false")
    landing = LANDING_SOURCE.get(source, source)
    files = day_files(settings, landing, days)
    counts = {d: (0, 0) for d in days}
    if files:
        counts.update({str(d): (n, e) for d, n, e in conn.execute(
            f"SELECT day, count(*), count(*) FILTER (WHERE {flt}) FROM read_parquet(?, hive_partitioning = true) "
            "GROUP BY 1", [files]).fetchall()})
    quarantined = {str(d): n for d, n in conn.execute(
        "SELECT day, count(*) FROM quarantine WHERE source IN (?, ?) AND state <> 'held' "
        "AND CAST(day AS VARCHAR) IN (SELECT unnest(?)) GROUP BY 1", [source, landing, days]).fetchall()}
    prior = [r[0] for r in conn.execute(
        "SELECT share FROM partition_stats WHERE source = ? AND day < ? AND lines > 0 ORDER BY day DESC LIMIT ?",
        [source, min(days), TRAILING]).fetchall()]
    med = median(prior) if prior else None
    out = {}
    for d in days:
        lines, expected = counts[d]
        q = quarantined.get(d, 0)
        share = q / (lines + q) if lines + q else 0.0
        out[d] = {"lines": lines, "expected_row_lines": expected, "quarantined": q,
                  "quarantine_share": round(share, 6), "trailing_median_share": med}
    _bulk_upsert(conn, "partition_stats", ["source", "day", "lines", "quarantined", "share"],
                 [(source, d, v["lines"], v["quarantined"], v["quarantine_share"]) for d, v in out.items()])
    return out


def noise_allowance(rows: int) -> int:
    """How many odd rows a day of `rows` rows may hold and still pass: NOISE_ROWS, or NOISE_SHARE of a big
    day, but always fewer than half (a day whose rows mostly disagree drifted, however small it is)."""
    return min(max(NOISE_ROWS, int(rows * NOISE_SHARE)), (rows - 1) // 2)


def _history(conn: duckdb.DuckDBPyConnection, suite: str, source: str, day: str) -> tuple[list[str], str | None]:
    """Columns never null (but for noise) in every passing partition before `day`, and the last passing day
    with rows. A tolerated odd row does not make a column optional for the days after it."""
    last = conn.execute("SELECT max(day) FROM column_profiles WHERE suite = ? AND source = ? AND day < ? AND passed "
                        "AND rows > 0", [suite, source, day]).fetchone()[0]
    if last is None:
        return [], None
    cols = [r[0] for r in conn.execute(
        """SELECT "column" FROM column_profiles WHERE suite = ? AND source = ? AND day < ? AND passed AND rows > 0
           GROUP BY 1 HAVING bool_and(nulls <= {NOISE_SQL})""".replace("{NOISE_SQL}", NOISE_SQL),
        [suite, source, day]).fetchall()]
    return cols, str(last)


def _describe(o: gx_runner.Outcome, n: int, examples: list[Any], stats: dict[str, Any]) -> str:
    col = o.kwargs.get("column")
    ex = ", ".join(str(x) for x in examples[:3])
    if o.type == "expect_column_values_to_be_null" and col == "type_drift":
        fields = sorted({f for x in examples for f in (x or [])})
        return f"fields with an unexpected JSON type or missing: {', '.join(fields)} in {n} rows"
    if col == "empty_but_expected":
        return f"no rows although the source landed {stats.get('expected_row_lines')} lines that should make rows"
    if col in ("quarantine_share", "quarantine_vs_trailing_median"):
        return (f"{stats['quarantined']} of {stats['lines'] + stats['quarantined']} lines quarantined "
                f"({stats['quarantine_share']:.1%}; trailing median {stats['trailing_median_share']})")
    template = _SAYS.get(o.type, "{type} failed on {col}")
    return template.format(type=o.type, col=col or "table", n=n, ex=ex, observed=o.observed,
                           cols=", ".join(o.kwargs.get("column_list", ())))


_SAYS = {  # what a failed expectation says, in the words of the drift report
    "expect_column_values_to_not_be_null": "column {col} is null in {n} rows",
    "expect_column_values_to_be_in_set": "column {col} has values outside its set: {ex} ({n} rows)",
    "expect_column_values_to_be_between": "column {col} out of range: {ex} ({n} rows)",
    "expect_column_values_to_be_unique": "column {col} not unique: {ex}",
    "expect_compound_columns_to_be_unique": "columns {cols} not unique together ({n} rows)",
    "expect_table_columns_to_match_set": "table columns differ from the model: {observed}",
}


def _judged(day_stats: dict[str, Any]) -> bool:
    return day_stats["lines"] + day_stats["quarantined"] >= MIN_LINES_FOR_SHARE


BATCH_DAYS = 31  # days judged per GX validation: few validations...
# ...and rows per profile scan. Rows no longer reach pandas (the cap was 50k for a ~1 KB-a-row frame); DuckDB
# profiles them within its memory limit, so only the uniqueness windows grow with it. A bigger day goes alone.
BATCH_ROWS = 2_000_000


def day_batches(conn: duckdb.DuckDBPyConnection, table: str, source: str, days: list[str]) -> list[list[str]]:
    """Consecutive runs of the given days, each at most BATCH_DAYS long and BATCH_ROWS rows (or one day)."""
    counts = dict(conn.execute(f"SELECT CAST(day AS VARCHAR), count(*) FROM {table} WHERE source = ? "
                               "AND CAST(day AS VARCHAR) IN (SELECT unnest(?)) GROUP BY 1", [source, days]).fetchall())
    batches: list[list[str]] = []
    rows = 0
    for d in sorted(days):
        n = counts.get(d, 0)
        if not batches or len(batches[-1]) >= BATCH_DAYS or rows + n > BATCH_ROWS:
            batches.append([])
            rows = 0
        batches[-1].append(d)
        rows += n
    return batches


def evaluate_days(conn: duckdb.DuckDBPyConnection, settings: Settings, table: str, source: str,
                  days: list[str]) -> list[DriftReport]:
    """Judge every day of a batch: DuckDB profiles the rows (checks/profile.py), GX judges the profile.

    One GX validation judges the profile (per day: each row-level expectation's count of unexpected rows,
    which must be 0, and the landing statistics, within their bounds), one more the table's columns: four
    expectations over a few hundred figures instead of a suite over every row. Rows are read again only for
    a failing day: its examples, files and odd rows. History-based expectations use the partitions before
    the first day of the batch.
    """
    import pandas as pd

    days = sorted(days)
    suite = load_suite(table)
    stats = _landing_stats(conn, settings, table, source, days)
    established, last_passing = _history(conn, table, source, days[0])
    exps = [dict(e) for e in [*suite["expectations"], *suite.get("by_source", {}).get(source, [])]]
    static_not_null = {e["kwargs"].get("column") for e in exps if e["type"] == "expect_column_values_to_not_be_null"}
    optional, exempt = history_rule(table, source)
    columns = {r[0] for r in conn.execute(f"DESCRIBE {table}").fetchall()}
    dynamic = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": c}}
               for c in established if c in columns and c not in static_not_null and c not in optional]
    checks = row_checks(exps + dynamic, exempt, dynamic_from=len(exps))
    batch = Batch(conn, table, source, days, checks, exempt)
    prof = batch.profile()
    reports = {d: DriftReport(table, source, d, stats=stats[d] | {"rows": prof.rows.get(d, 0)},
                              last_passing_day=last_passing) for d in days}
    if not prof.rows and not any(v["lines"] or v["quarantined"] for v in stats.values()):
        return [reports[d] for d in days]  # the source had nothing these days: nothing to judge
    frame = _figures(prof, checks, days, stats, reports)
    figures = pd.DataFrame(frame).astype({e["kwargs"]["column"]: "float64" for e in FIGURE_EXPECTATIONS})
    judged = gx_runner.validate(figures, FIGURE_EXPECTATIONS, f"{table}.{source}.profile")
    table_level = [e for e in exps if e["type"] == "expect_table_columns_to_match_set"]
    if prof.rows and table_level:  # the table's columns, judged by GX on an empty frame that has them
        judged += gx_runner.validate(pd.DataFrame(columns=batch.columns), table_level, f"{table}.{source}.columns")
    odd: dict[str, list[tuple[dict[str, Any], Check]]] = {}  # day -> tolerable failures
    rank: dict[int, int] = {}  # id(failure) -> its place in the suite
    for o in (o for o in judged if not o.success):
        if o.type == "expect_table_columns_to_match_set":  # every day of the batch with rows fails
            for d in (d for d in days if reports[d].stats["rows"]):
                reports[d].failures.append({"expectation": o.type, "column": None, "unexpected_count": None,
                                            "examples": o.examples, "what": _describe(o, 0, [], reports[d].stats)})
                rank[id(reports[d].failures[-1])] = -1
            continue
        for i in o.unexpected_index:
            d, check = frame[i]["day"], checks[frame[i]["check"]] if frame[i]["check"] is not None else None
            if check is None:
                reports[d].failures.append(_landing_failure(conn, settings, table, source, d, o, reports[d].stats))
                continue
            failure = _row_failure(batch, check, d, frame[i]["unexpected"], reports[d], last_passing)
            rank[id(failure)] = check.index
            if check.expectation["type"] in TOLERANT and failure["column"] not in NEVER_NOISE:
                odd.setdefault(d, []).append((failure, check))
    for d in days:  # the suite's order (GX lists its results in an order of its own), landing figures last
        reports[d].failures.sort(key=lambda f: rank.get(id(f), len(exps) + len(dynamic)))
    for d, found in odd.items():
        _tolerate_noise(reports[d], batch, found)
    profiles = []
    for d, rep in reports.items():
        rep.passed = not rep.failures
        profiles += [(table, source, d, c, rep.stats["rows"], n, rep.passed) for c, n in prof.nulls.get(d, {}).items()]
    _bulk_upsert(conn, "column_profiles", ["suite", "source", "day", "column", "rows", "nulls", "passed"], profiles)
    return [reports[d] for d in days]


# How GX judges a batch's profile (one row per day and row-level expectation, one per day of landing
# figures; GX leaves nulls alone, so each expectation sees its own rows): no unexpected row, no day empty that
# should have rows, the quarantine share under 5% and under ten times its trailing median.
FIGURE_EXPECTATIONS = [
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "unexpected", "max_value": 0}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "empty_but_expected", "value_set": [0]}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "quarantine_share", "max_value": 0.05}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "quarantine_vs_trailing_median",
                                                              "max_value": 10}}]


def _figures(prof: Profile, checks: list[Check], days: list[str], stats: dict[str, dict[str, Any]],
             reports: dict[str, DriftReport]) -> list[dict[str, Any]]:
    """The profile as GX's frame: per day, each row-level expectation's unexpected rows, then its landing figures."""
    none = {"unexpected": None, "empty_but_expected": None, "quarantine_share": None,
            "quarantine_vs_trailing_median": None}
    rows = [none | {"day": d, "check": k, "unexpected": prof.unexpected[d][c.index]}
            for d in days if d in prof.unexpected for k, c in enumerate(checks)]
    return rows + [none | {
        "day": d, "check": None,
        "empty_but_expected": int(reports[d].stats["rows"] == 0 and stats[d]["expected_row_lines"] > 0),
        "quarantine_share": stats[d]["quarantine_share"] if _judged(stats[d]) else 0.0,
        "quarantine_vs_trailing_median": (stats[d]["quarantine_share"] / stats[d]["trailing_median_share"])
        if stats[d]["trailing_median_share"] and _judged(stats[d]) else 0.0} for d in days]


def _row_failure(batch: Batch, check: Check, day: str, n: int, rep: DriftReport, last_passing: str | None) -> dict:
    """A row-level expectation a day failed: how many rows, the first values, the files behind them."""
    kw = check.expectation["kwargs"]
    col = kw.get("column") or (kw.get("column_list") or [None])[0]
    examples = jsonable([r[col] for r in batch.unexpected(check, day, [col], 5)])
    o = gx_runner.Outcome(check.expectation["type"], dict(kw), False)
    failure: dict[str, Any] = {"expectation": o.type, "column": col, "unexpected_count": n, "examples": examples,
                               "what": _describe(o, n, examples, rep.stats)}
    files = batch.files(check, day)
    if files:
        failure["files"] = jsonable(files)
    if last_passing and col and o.type == "expect_column_values_to_not_be_null":
        before = batch.conn.execute('SELECT rows, nulls FROM column_profiles WHERE suite = ? AND source = ? AND day = ? '
                                    'AND "column" = ?', [batch.table, batch.source, last_passing, col]).fetchone()
        if before:
            failure["before"] = {"day": last_passing, "rows": before[0], "nulls": before[1]}
    rep.failures.append(failure)
    return failure


def _landing_failure(conn: duckdb.DuckDBPyConnection, settings: Settings, table: str, source: str, day: str,
                     o: gx_runner.Outcome, stats: dict[str, Any]) -> dict[str, Any]:
    failure = {"expectation": o.type, "column": o.kwargs["column"], "what": _describe(o, 1, [], stats)}
    files = day_files(settings, LANDING_SOURCE.get(source, source), [day])
    if files:  # name the landed files (and client versions) behind the day
        flt = EXPECTED_ROWS_FILTER.get((table, source), "true")
        failure["files"] = [{"file": f, "version": v, "rows": n} for f, v, n in conn.execute(
            f"SELECT file, max(line::JSON->>'$.version'), count(*) FROM read_parquet(?) WHERE {flt} "
            "GROUP BY 1 ORDER BY 3 DESC LIMIT 3", [files]).fetchall()]
    return failure


def _tolerate_noise(rep: DriftReport, batch: Batch, found: list[tuple[dict[str, Any], Check]]) -> None:
    """Move the day's row-level failures to `rep.noise` when, together, they touch few enough rows."""
    odd = batch.odd_rows([c for _, c in found], rep.day)
    if odd > noise_allowance(rep.stats["rows"]):
        return
    for failure, check in found:
        rep.failures.remove(failure)
        col = failure["column"]
        for row in batch.unexpected(check, rep.day, [*PROVENANCE, col], NOISE_SHOWN - len(rep.noise)):
            rec = jsonable({c: row[c] for c in PROVENANCE if c in row})
            rep.noise.append({**rec, "expectation": failure["expectation"], "column": col,
                              "value": jsonable(row.get(col))})
    rep.stats["odd_rows"] = odd


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
        out.setdefault(d, []).append(mask_text(s))  # rows recorded before summaries were masked, too
    return out
