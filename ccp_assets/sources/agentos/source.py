"""normalized_agentos: capacity windows (with the supersede rule) and the tracker's side ledgers."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days, per_partition, table_rows_metadata
from ccp_assets.settings import load_settings
from ccp_assets.sources.agentos.normalize import normalize_day
from ccp_assets.warehouse.resource import WarehouseResource


@daily_asset(
    name="normalized_agentos",
    group="normalized",
    deps=["raw_agentos"],
    description=(
        "AgentOS windows as `windows` rows (one per record and provider: capacity_raw/capacity_unit with the "
        "5-hour-delta rule and the weekly fallback named in errors, features, quality_score; the latest "
        "finalized_at per window is current, exact duplicates count once, superseded records stay as "
        "history), and the side ledgers `glm_counts`, `churn_records`, `meter_snapshots` (snapshots, "
        "claude_monitor, CCC usage), `codex_usage` (ccusage sessions/daily/weekly), `proxy_telemetry`, plus "
        "old-style proxy samples as `turns` (source agentos_proxy). A record with a wrong-typed field is "
        "quarantined naming the field; unknown fields are kept in `extras`."
    ),
)
def normalized_agentos(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    with warehouse.connect() as conn:
        results = [normalize_day(conn, settings, day) for day in partition_days(context)]
    return per_partition(context, {r.day: table_rows_metadata(
        r, current_windows=r.windows_current, lines_by_ledger=MetadataValue.json(r.ledgers)) for r in results})
