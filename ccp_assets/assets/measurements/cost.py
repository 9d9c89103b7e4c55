"""usage_cost: tokens of each kind and estimated dollars per day, source and model (`cost_daily`), and the
deduplicated, really-answered calls priced per model and token kind (`priced_turns`, `usage_model_daily`:
see measurements/usage.py)."""


import duckdb
from dagster import MaterializeResult, MetadataValue

from ccp_assets.assets.common import per_partition, usable_days
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.measurements.by_source import cost_by_source_days
from ccp_assets.measurements.usage import plan_table, price_days
from ccp_assets.pricing.table import price_table
from ccp_assets.warehouse.tx import transaction

COST_BY_DAY_SQL = """
INSERT INTO cost_daily
SELECT day, source, provider, model, count(*) AS turns, sum(coalesce(tokens_in, 0)),
       sum(coalesce(tokens_out, 0)), sum(coalesce(cache_creation_tokens, 0) - coalesce(cache_creation_1h_tokens, 0)),
       sum(coalesce(cache_creation_1h_tokens, 0)), sum(coalesce(cache_read_tokens, 0)),
       sum(input_usd), sum(output_usd), sum(cache_write_usd), sum(cache_read_usd), sum(estimated_usd),
       bool_and(priced), any_value(price_version)
FROM turn_costs WHERE day IN (SELECT day FROM m_days) GROUP BY day, source, provider, model
"""


@daily_part(
    name="usage_cost",
    table="cost_daily",
    group="measurements",
    deps=["normalized_claude_code", "normalized_ccp_proxy", "normalized_agentos", "normalized_ccc_events",
          "unified_turns"],
    description=(
        "Per day, source and model: tokens of each kind (input, output, cache write 5m/1h, cache read) and "
        "estimated USD from the versioned price table shipped in the package (`cost_daily`). Every answered "
        "call counted once across sources, attributed to the model that really answered (proxy reroutes) "
        "and priced per token kind, GLM subscription calls per prompt at plan price / prompt cap "
        "(`priced_turns`, `usage_model_daily`). Unknown models cost 0 and are named in the metadata and "
        "the rollup's errors. Metadata per day, all in USD: `cost_usd_total` (calls counted once; also "
        "`counted_usd`), `cost_usd_<source>` per source it came from, `estimated_usd` (every source's rows "
        "priced, before counting a call once)."
        + glossary("cost_usd_total", "cost_usd_<source>", "estimated_usd", "turns")
    ),
)
def usage_cost(context: AssetView, warehouse: SharedWarehouse) -> MaterializeResult:
    """Set-based over the step's usable days: one statement per stage for all of them (issue 16: per-day
    statements, each re-reading the `turn_costs` view, were 3.1 s of a 24 s cold build on 62 days); withheld
    days are not in `m_days`, so their rows stay as they were."""
    with warehouse.connect() as conn:
        days, blocked = usable_days(context, conn)
        per_day: dict[str, dict] = {}
        if days:
            with transaction(conn):
                counted = price_days(conn, days)  # also fills the temp table m_days
                conn.execute("DELETE FROM cost_daily WHERE day IN (SELECT day FROM m_days)")
                conn.execute(COST_BY_DAY_SQL)
            per_day = _days_metadata(conn, counted)
    return per_partition(context, per_day, blocked=blocked, shared={
        "price_table_version": price_table()["version"], "plan_table_version": plan_table()["version"]})


DAY_TOTALS_SQL = """
SELECT day, coalesce(sum(estimated_usd), 0), list(DISTINCT model) FILTER (WHERE NOT priced)
FROM cost_daily WHERE day IN (SELECT day FROM m_days) GROUP BY day
"""


def _days_metadata(conn: duckdb.DuckDBPyConnection, counted: dict[str, dict]) -> dict[str, dict]:
    """Each day's own figures: every source's turns priced (`estimated_usd`, as `ccp report daily` prices
    them) and the calls counted once (`counted_usd` = `cost_usd_total`, split by source), all in USD."""
    totals = {str(d): (total, unpriced) for d, total, unpriced in conn.execute(DAY_TOTALS_SQL).fetchall()}
    by_source = cost_by_source_days(conn)
    return {day: _day_metadata(c, *totals.get(day, (0, None)), by_source.get(day, {})) for day, c in counted.items()}


def _day_metadata(counted: dict, total: float, unpriced: list | None, by_source: dict[str, float]) -> dict:
    return {  # in plot order (the UI keeps the dict's order): the day's cost first, then where it came from
        "cost_usd_total": MetadataValue.float(round(counted["estimated_usd"], 6)),
        **{f"cost_usd_{src}": MetadataValue.float(usd) for src, usd in by_source.items()},
        "counted_calls": counted["turns"],
        "estimated_usd": MetadataValue.float(round(float(total), 6)),
        "counted_usd": MetadataValue.float(round(counted["estimated_usd"], 6)),
        "cost_usd_by_source": MetadataValue.json(by_source),
        "unpriced_models": MetadataValue.json(sorted(unpriced or [])),
        "unpriced_counted_models": MetadataValue.json(counted["unpriced"]),
    }
