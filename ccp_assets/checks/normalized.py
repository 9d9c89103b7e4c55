"""Blocking, daily-partitioned drift checks of a source's normalized asset (one per table it writes).

They are check specs of the source's one step (assets/sources.py), evaluated there after normalization
on the step's warehouse connection. A step that covers one partition fails with ERROR severity and
Dagster stops everything downstream of it. A step covering a range records one evaluation per day
(visible per partition in the UI); it fails with ERROR when every day drifted, else WARN, and downstream
steps skip the drifted days themselves by reading the latest results (`checks.drift.blocked_days`), in
this run or a later one. A day with only a few odd rows passes and lists them in `odd_lines`
(checks/drift.py: noise vs drift).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MetadataValue,
)

from ccp_assets.checks.drift import DriftReport, day_batches, evaluate_days, jsonable, record
from ccp_assets.partitions import DAILY
from ccp_assets.settings import Settings
from ccp_assets.sources.landing import LandingResult, landed_days

if TYPE_CHECKING:
    import duckdb

    from ccp_assets.sources.protocol import Source


def _metadata(reports: list[DriftReport]) -> dict:
    failed = [r for r in reports if not r.passed]
    rows = ["| day | suite | source | outcome |", "|---|---|---|---|"]
    rows += [f"| {r.day} | {r.suite} | {r.source} | {r.summary.split(': ', 1)[-1]} |" for r in reports]
    meta = {
        "summary": "; ".join(r.summary for r in failed) if failed else f"{len(reports)} partition(s) pass",
        "failed_days": MetadataValue.json([r.day for r in failed]),
        "drift_report": MetadataValue.json([r.as_dict() for r in failed] if failed else []),
        "stats": MetadataValue.json(jsonable({r.day: r.stats for r in reports})),
        # noise, not drift: the few odd rows a passing day held, each with its file, byte offset and line
        "odd_lines": MetadataValue.json([{"day": r.day, **n} for r in reports for n in r.noise]),
        "report_table": MetadataValue.md("\n".join(rows)),
    }
    return meta


def drift_check_specs(asset: AssetKey, tables: Sequence[str], source: str) -> list[AssetCheckSpec]:
    """The blocking GX suite of each table, on the rows `asset` wrote for `source`; partitioned like the asset
    (else a one-day step's result carries no partition and the UI shows no per-day outcome)."""
    return [AssetCheckSpec(f"{table}_suite", asset=asset, blocking=True, partitions_def=DAILY, description=(
        f"Great Expectations suite `{table}` (schemas/expectations/{table}.json) on the day's {source} rows, plus "
        "drift versus earlier partitions and the share of quarantined lines. Blocking: a drifted day is never "
        "measured, rolled up or uploaded.")) for table in tables]


def is_empty(conn: duckdb.DuckDBPyConnection, source: Source, settings: Settings, landed: LandingResult) -> bool:
    """True when the source has nothing at all: no line landed now or kept in its landing zone, no quarantined
    line, no row in its checked tables, no earlier day with lines or rows. Then every drift figure is known
    (zero lines, rows and share; no trailing median, no last passing day) and judging needs no SQL."""
    if landed.lines_landed or landed.quarantined or landed.held or landed_days(settings, source.name):
        return False
    rows = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE source = $rows)" for t in source.checked_tables)
    return not conn.execute(
        "SELECT EXISTS (SELECT 1 FROM quarantine WHERE source IN ($name, $rows)) "
        "OR EXISTS (SELECT 1 FROM partition_stats WHERE source = $rows AND (lines > 0 OR quarantined > 0)) "
        f"OR EXISTS (SELECT 1 FROM column_profiles WHERE source = $rows AND rows > 0){' OR ' + rows if rows else ''}",
        {"name": source.name, "rows": source.rows_source}).fetchone()[0]


def _empty_reports(conn: duckdb.DuckDBPyConnection, table: str, source: str, days: list[str]) -> list[DriftReport]:
    """What `evaluate_days` finds for a source `is_empty` proved has nothing: every day passes with zero
    figures (tests/checks/test_drift_empty.py compares the two). Its zero `partition_stats` rows are still
    written: they say the day was processed (cli/report_cmd.py `_unmaterialized`)."""
    from ccp_assets.warehouse.bulk import insert_rows

    stats = {"lines": 0, "expected_row_lines": 0, "quarantined": 0, "quarantine_share": 0.0,
             "trailing_median_share": None, "rows": 0}
    insert_rows(conn, "partition_stats", [{"source": source, "day": d, "lines": 0, "quarantined": 0, "share": 0.0}
                                          for d in days], replace=True)
    return [DriftReport(table, source, d, stats=dict(stats)) for d in sorted(days)]


def drift_results(context: AssetExecutionContext, conn: duckdb.DuckDBPyConnection, settings: Settings,
                  asset: AssetKey, tables: Sequence[str], source: str, empty: bool) -> Iterator[AssetCheckResult]:
    """Judge each table's days and yield its check result (a range step also logs one evaluation per day)."""
    days = list(context.partition_keys)
    for table in tables:
        name = f"{table}_suite"
        reports = []
        batches = [days] if empty else day_batches(conn, table, source, days)
        for batch in batches:
            found = _empty_reports(conn, table, source, batch) if empty else evaluate_days(
                conn, settings, table, source, batch)
            for rep in found:
                record(conn, name, asset.to_user_string(), rep, context.run.run_id)
                reports.append(rep)
        if not context.has_partition_key:  # a range step: one evaluation per day
            for rep in reports:
                context.log_event(AssetCheckEvaluation(
                    asset_key=asset, check_name=name, passed=rep.passed, partition=rep.day,
                    severity=AssetCheckSeverity.ERROR, blocking=True, metadata=_metadata([rep]),
                    description=rep.summary))
        failed = [r for r in reports if not r.passed]
        severity = AssetCheckSeverity.ERROR if failed and len(failed) == len(reports) else AssetCheckSeverity.WARN
        yield AssetCheckResult(asset_key=asset, check_name=name, passed=not failed, severity=severity,
                               metadata=_metadata(reports), description=failed[0].summary if failed else None)
