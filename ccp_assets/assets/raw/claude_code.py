"""raw_claude_code: new transcript bytes landed per event day (immutable Parquet, with provenance)."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days, per_partition
from ccp_assets.assets.sources import landing_pass
from ccp_assets.checks.gx_runner import prewarm
from ccp_assets.settings import load_settings
from ccp_assets.sources.claude_code.adapter import ClaudeCodeSource
from ccp_assets.sources.landing import land
from ccp_assets.warehouse.resource import WarehouseResource

SOURCE = ClaudeCodeSource()


@daily_asset(
    name="raw_claude_code",
    group="raw",
    kinds={"parquet", "python"},
    description=(
        "Claude Code transcript lines (main chains and subagents under CLAUDE_CONFIG_DIR/projects) landed "
        "under the day of their timestamp in $CCP_HOME/landing/claude_code, with file, byte offset and line "
        "number. Only new bytes are read; landed data survives the source deleting its files."
    ),
)
def raw_claude_code(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    prewarm()  # the drift checks need Great Expectations: import it on the other core meanwhile
    settings = load_settings()
    days = partition_days(context)
    with warehouse.connect() as conn:
        result = land(conn, SOURCE, settings)
        counts = dict(conn.execute(
            "SELECT CAST(day AS VARCHAR), count(*) FROM quarantine WHERE source = ? AND stage = 'landing' "
            "AND CAST(day AS VARCHAR) IN (SELECT unnest(?)) GROUP BY 1", [SOURCE.name, days]).fetchall())
    landed_in_range = sum(n for d, n in result.days.items() if d in days)
    context.log.info(f"landed {result.lines_landed} new lines from {result.files_read} files "
                     f"({result.bytes_read} bytes); {landed_in_range} fall in {days[0]}..{days[-1]}")
    return per_partition(context, {d: {
        "new_lines": result.days.get(d, 0),
        "new_lines_in_partition": result.days.get(d, 0),
        "quarantined_lines": counts.get(d, 0),
    } for d in days}, shared={
        "source_enabled": SOURCE.enabled(settings),
        "landing_pass": landing_pass(result),
        "landing_dir": MetadataValue.path(str(settings.landing_dir / SOURCE.name)),
    })
