"""normalized_claude_code: deduplicated turns and session-days of the unified model v1."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days
from ccp_assets.settings import load_settings
from ccp_assets.sources.claude_code_normalize import normalize_days
from ccp_assets.warehouse.resource import WarehouseResource


@daily_asset(
    name="normalized_claude_code",
    group="normalized",
    deps=["raw_claude_code"],
    description=(
        "Claude Code turns (one row per API response, deduplicated by message id + request id as ccusage "
        "does) and session-days in the warehouse tables `turns` and `sessions` (source = claude_code), "
        "replaced idempotently per day. Lines of unknown type are counted and quarantined."
    ),
)
def normalized_claude_code(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    with warehouse.connect() as conn:
        results = normalize_days(conn, settings, partition_days(context))
    unknown: dict[str, int] = {}
    for r in results:
        for t, n in r.unknown_types.items():
            unknown[t] = unknown.get(t, 0) + n
    return MaterializeResult(metadata={
        "lines": sum(r.lines for r in results),
        "turns": sum(r.turns for r in results),
        "sessions": sum(r.sessions for r in results),
        "duplicate_lines_dropped": sum(r.duplicates_dropped for r in results),
        "synthetic_messages": sum(r.synthetic for r in results),
        "api_error_messages": sum(r.api_errors for r in results),
        "drifted_turns": sum(r.drifted_turns for r in results),
        "unknown_line_types": MetadataValue.json(unknown),
        "client_versions": MetadataValue.json(sorted({v for r in results for v in r.versions})),
    })
