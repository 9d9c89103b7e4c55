"""Blocking, daily-partitioned drift checks for the normalized assets (one per table they write).

A check step that covers one partition fails with ERROR severity and Dagster stops everything
downstream of it. A step covering a range records one evaluation per day (visible per partition in
the UI); it fails with ERROR when every day drifted, else WARN, and downstream steps skip the drifted
days themselves by reading the latest results (`checks.drift.blocked_days`), in this run or a later one.
A day with only a few odd rows passes and lists them in `odd_lines` (checks/drift.py: noise vs drift).
"""

from collections.abc import Sequence

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from ccp_assets.checks.drift import DriftReport, day_batches, evaluate_days, jsonable, record
from ccp_assets.partitions import DAILY
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.warehouse.resource import WAREHOUSE_POOL, WarehouseResource


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


def drift_check(asset: str, table: str, source: str) -> AssetChecksDefinition:
    """The blocking GX suite of `table` on the rows `asset` wrote for `source`."""
    name = f"{table}_suite"

    @asset_check(asset=asset, name=name, blocking=True, partitions_def=DAILY, pool=WAREHOUSE_POOL,
                 description=(f"Great Expectations suite `{table}` (schemas/expectations/{table}.json) on the day's "
                              f"{source} rows, plus drift versus earlier partitions and the share of quarantined "
                              "lines. Blocking: a drifted day is never measured, rolled up or uploaded."))
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource,
               settings: SettingsResource) -> AssetCheckResult:
        settings = settings.get()
        days = list(context.partition_keys)
        reports = []
        with warehouse.connect() as conn:
            for batch in day_batches(conn, table, source, days):
                for rep in evaluate_days(conn, settings, table, source, batch):
                    record(conn, name, asset, rep, context.run.run_id)
                    reports.append(rep)
        if not context.op_execution_context.has_partition_key:  # a range step: one evaluation per day
            for rep in reports:
                context.op_execution_context.log_event(AssetCheckEvaluation(
                    asset_key=AssetKey(asset), check_name=name, passed=rep.passed, partition=rep.day,
                    severity=AssetCheckSeverity.ERROR, blocking=True, metadata=_metadata([rep]),
                    description=rep.summary))
        failed = [r for r in reports if not r.passed]
        severity = AssetCheckSeverity.ERROR if failed and len(failed) == len(reports) else AssetCheckSeverity.WARN
        return AssetCheckResult(passed=not failed, severity=severity, metadata=_metadata(reports),
                                description=failed[0].summary if failed else None)

    return _check


def drift_checks(asset: str, tables: Sequence[str], source: str) -> list[AssetChecksDefinition]:
    return [drift_check(asset, t, source) for t in tables]
