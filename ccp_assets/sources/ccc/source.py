"""normalized_ccc_events: the CCC client's sessions, turns, features, measurements, costs, values, decisions."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days, per_partition, table_rows_metadata
from ccp_assets.settings import load_settings
from ccp_assets.sources.ccc.normalize import normalize_day
from ccp_assets.warehouse.resource import WarehouseResource


@daily_asset(
    name="normalized_ccc_events",
    group="normalized",
    deps=["raw_ccc_events"],
    description=(
        "CCC event-log payloads as v1 rows with source = ccc: `turns` (wrong types NULL + type_drift), "
        "`sessions` (session-days with session_end facts), `features`, `measurements` (scope turn:<id>), "
        "`reported_costs` (the client's own estimate), `value_records` and `routing_decisions`. A feature, "
        "measurement, cost or value payload with a wrong-typed or missing required field is quarantined "
        "naming the field; unknown line types are counted and skipped; unknown fields kept in `extras`."
    ),
)
def normalized_ccc_events(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    with warehouse.connect() as conn:
        results = [normalize_day(conn, settings, day) for day in partition_days(context)]
    return per_partition(context, {r.day: table_rows_metadata(
        r, drifted_turns=r.drifted, unknown_line_types=MetadataValue.json(r.unknown_types)) for r in results})
