"""usage_cost: tokens of each kind and estimated dollars per day, source and model."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, usable_days
from ccp_assets.pricing.table import price_table
from ccp_assets.warehouse.resource import WarehouseResource

COST_BY_DAY_SQL = """
INSERT INTO cost_daily
SELECT day, source, provider, model, count(*) AS turns, sum(coalesce(tokens_in, 0)),
       sum(coalesce(tokens_out, 0)), sum(coalesce(cache_creation_tokens, 0) - coalesce(cache_creation_1h_tokens, 0)),
       sum(coalesce(cache_creation_1h_tokens, 0)), sum(coalesce(cache_read_tokens, 0)),
       sum(input_usd), sum(output_usd), sum(cache_write_usd), sum(cache_read_usd), sum(estimated_usd),
       bool_and(priced), any_value(price_version)
FROM turn_costs WHERE day = ? GROUP BY day, source, provider, model
"""


@daily_asset(
    name="usage_cost",
    group="measurements",
    deps=["normalized_claude_code"],
    description=(
        "Per day, source and model: tokens of each kind (input, output, cache write 5m/1h, cache read) and "
        "estimated USD from the versioned price table shipped in the package. Unknown models cost 0 and "
        "are named in the metadata and the rollup's errors."
    ),
)
def usage_cost(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.connect() as conn:
        days, blocked = usable_days(context, conn)
        for day in days:
            conn.execute("BEGIN TRANSACTION")
            conn.execute("DELETE FROM cost_daily WHERE day = ?", [day])
            conn.execute(COST_BY_DAY_SQL, [day])
            conn.execute("COMMIT")
        total, unpriced = conn.execute(
            "SELECT coalesce(sum(estimated_usd), 0), list(DISTINCT model) FILTER (WHERE NOT priced) "
            "FROM cost_daily WHERE CAST(day AS VARCHAR) IN (SELECT unnest(?))", [days]).fetchone()
    return MaterializeResult(metadata={
        "estimated_usd": round(float(total), 6),
        "unpriced_models": MetadataValue.json(sorted(unpriced or [])),
        "price_table_version": price_table()["version"],
        "withheld": MetadataValue.json(blocked),
    })
