"""normalized_ccp_proxy: proxy completions and errors as turns, routing decisions, daily summaries."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days, per_partition
from ccp_assets.settings import load_settings
from ccp_assets.sources.ccp_proxy.normalize import normalize_days
from ccp_assets.warehouse.resource import WarehouseResource


@daily_asset(
    name="normalized_ccp_proxy",
    group="normalized",
    deps=["raw_ccp_proxy"],
    description=(
        "CCP proxy completions and errors as `turns` rows (source = ccp_proxy: lane, upstream, model, "
        "provider, tokens, latency, ttft, op, status) and decisions as `routing_decisions` rows, correlated "
        "by `rid`; METRICS summaries as `proxy_daily_summaries` (backfill = the day has no raw log). "
        "Wrong JSON types are NULL and named in `type_drift`; unknown fields are kept in `extras`; "
        "replaced idempotently per day."
    ),
)
def normalized_ccp_proxy(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    with warehouse.connect() as conn:
        results = normalize_days(conn, settings, partition_days(context))
    return per_partition(context, {r.day: {
        "lines": r.lines,
        "rows": r.turns + r.decisions + r.summaries,
        "turns": r.turns,
        "completions": r.completions,
        "errors": r.errors,
        "decisions": r.decisions,
        "summaries": r.summaries,
        "backfill_days": r.backfill_days,
        "drifted_rows": r.drifted,
        "quarantined": r.quarantined,
        "skipped_lines": MetadataValue.json(r.skipped),
    } for r in results})
