"""normalized_ccp_proxy: proxy completions and errors as turns, routing decisions, daily summaries."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days
from ccp_assets.settings import load_settings
from ccp_assets.sources.ccp_proxy_normalize import normalize_days
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
    skipped: dict[str, int] = {}
    for r in results:
        for k, n in r.skipped.items():
            skipped[k] = skipped.get(k, 0) + n
    return MaterializeResult(metadata={
        "lines": sum(r.lines for r in results),
        "rows": sum(r.turns + r.decisions + r.summaries for r in results),
        "turns": sum(r.turns for r in results),
        "completions": sum(r.completions for r in results),
        "errors": sum(r.errors for r in results),
        "decisions": sum(r.decisions for r in results),
        "summaries": sum(r.summaries for r in results),
        "backfill_days": sum(r.backfill_days for r in results),
        "drifted_rows": sum(r.drifted for r in results),
        "quarantined": sum(r.quarantined for r in results),
        "skipped_lines": MetadataValue.json(skipped),
    })
