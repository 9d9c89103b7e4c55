"""landing_retention: delete landed days older than the policy's retention_days, and log what went.

Unpartitioned and scheduled nightly; in the warehouse pool so it never deletes a day while a run reads it.
Without a policy pack in force (or a license without `policy_packs`) it keeps everything and says so.
"""

from dagster import (
    AssetExecutionContext,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from ccp_assets.assets.common import OWNERS
from ccp_assets.licensing import clock
from ccp_assets.partitions import DAILY
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.uploads.retention import apply_retention
from ccp_assets.warehouse.resource import WAREHOUSE_POOL

RETENTION_JOB_NAME = "landing_retention_job"


@asset(
    name="landing_retention",
    group_name="maintenance",
    kinds={"parquet"},
    owners=OWNERS,
    pool=WAREHOUSE_POOL,
    description=(
        "Deletes landed days ($CCP_HOME/landing/<source>/day=D) older than the policy pack's retention_days "
        "(when a policy is in force; else keeps everything) and logs every deletion (files, rows, bytes per "
        "source and day) in the metadata and in $CCP_HOME/state/retention.log.jsonl."
    ),
)
def landing_retention(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    result = apply_retention(settings.get(), clock.now())
    if result.applied:
        context.log.info(f"retention {result.retention_days} days (cutoff {result.cutoff}): deleted "
                         f"{result.files} files, {result.rows} rows, {result.bytes} bytes")
        for source, days in result.deleted.items():
            for day, c in days.items():
                context.log.info(f"deleted {source} day={day}: {c['files']} files, {c['rows']} rows")
    else:
        context.log.info(result.reason)
    meta: dict = {"applied": result.applied, "reason": result.reason, "deleted_files": result.files,
                  "deleted_rows": result.rows, "deleted_bytes": result.bytes,
                  "deleted": MetadataValue.json(result.deleted)}
    if result.retention_days is not None:
        meta.update({"retention_days": result.retention_days, "cutoff": result.cutoff})
    if result.log_path:
        meta["log"] = MetadataValue.path(result.log_path)
    return MaterializeResult(metadata=meta)


landing_retention_job = define_asset_job(
    RETENTION_JOB_NAME, selection=[landing_retention],
    description="Apply the policy's retention to the landing zone (scheduled nightly).",
)

retention_schedule = ScheduleDefinition(
    name="landing_retention_nightly",
    job=landing_retention_job,
    cron_schedule="30 3 * * *",
    execution_timezone=DAILY.timezone,  # the configuration read once, by the partitions
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every night at 03:30 (CCP_TIMEZONE): delete landed days older than the policy's retention_days.",
)
