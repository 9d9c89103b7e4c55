"""normalized_claude_code: deduplicated turns and session-days of the unified model v1."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days, per_partition
from ccp_assets.settings import load_settings
from ccp_assets.sources.claude_code.normalize import normalize_days
from ccp_assets.warehouse.resource import WarehouseResource


@daily_asset(
    name="normalized_claude_code",
    group="normalized",
    deps=["raw_claude_code"],
    description=(
        "Claude Code turns (one row per API response, deduplicated by message id + request id as ccusage "
        "does) and session-days in the warehouse tables `turns` and `sessions` (source = claude_code), "
        "replaced idempotently per day. Lines of unknown type, and usage lines ccusage skips, are counted "
        "and quarantined."
    ),
)
def normalized_claude_code(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    with warehouse.connect() as conn:
        results = normalize_days(conn, settings, partition_days(context))
    return per_partition(context, {r.day: {
        "lines": r.lines,
        "turns": r.turns,
        "sessions": r.sessions,
        "duplicate_lines_dropped": r.duplicates_dropped,
        "synthetic_messages": r.synthetic,
        "api_error_messages": r.api_errors,
        "drifted_turns": r.drifted_turns,
        "skipped_usage_lines": MetadataValue.json(r.skipped),
        "unknown_line_types": MetadataValue.json(r.unknown_types),
        "client_versions": MetadataValue.json(sorted(r.versions)),
    } for r in results})
