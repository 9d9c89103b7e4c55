"""usage_cost: tokens of each kind and estimated dollars per day, source and model (`cost_daily`), and the
deduplicated, really-answered calls priced per model and token kind (`priced_turns`, `usage_model_daily`:
see measurements/usage.py)."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, usable_days
from ccp_assets.measurements.usage import plan_table, price_day
from ccp_assets.pricing.table import price_table
from ccp_assets.warehouse.resource import WarehouseResource
from ccp_assets.warehouse.tx import transaction

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
    deps=["normalized_claude_code", "normalized_ccp_proxy", "normalized_agentos", "normalized_ccc_events",
          "unified_turns"],
    description=(
        "Per day, source and model: tokens of each kind (input, output, cache write 5m/1h, cache read) and "
        "estimated USD from the versioned price table shipped in the package (`cost_daily`). Every answered "
        "call counted once across sources, attributed to the model that really answered (proxy reroutes) "
        "and priced per token kind, GLM subscription calls per prompt at plan price / prompt cap "
        "(`priced_turns`, `usage_model_daily`). Unknown models cost 0 and are named in the metadata and "
        "the rollup's errors."
    ),
)
def usage_cost(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    counted = {}
    with warehouse.connect() as conn:
        days, blocked = usable_days(context, conn)
        for day in days:
            with transaction(conn):
                conn.execute("DELETE FROM cost_daily WHERE day = ?", [day])
                conn.execute(COST_BY_DAY_SQL, [day])
                counted[day] = price_day(conn, day)
        total, unpriced = conn.execute(
            "SELECT coalesce(sum(estimated_usd), 0), list(DISTINCT model) FILTER (WHERE NOT priced) "
            "FROM cost_daily WHERE CAST(day AS VARCHAR) IN (SELECT unnest(?))", [days]).fetchone()
    return MaterializeResult(metadata={
        "estimated_usd": round(float(total), 6),
        "unpriced_models": MetadataValue.json(sorted(unpriced or [])),
        "price_table_version": price_table()["version"],
        "plan_table_version": plan_table()["version"],
        "counted_calls": sum(c["turns"] for c in counted.values()),
        "counted_usd": round(sum(c["estimated_usd"] for c in counted.values()), 6),
        "unpriced_counted_models": MetadataValue.json(sorted({m for c in counted.values() for m in c["unpriced"]})),
        "withheld": MetadataValue.json(blocked),
    })
