"""measurements: the v1 Measurement entity per day, window, session and shipped feature."""

from dagster import MaterializeResult

from ccp_assets.assets.common import per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.measurements.runner import run_days
from ccp_assets.measurements.entity import entity_day


@daily_part(
    name="measurements",
    table="measurements",
    group="measurements",
    deps=["features_daily", "churn_daily", "efficiency_daily", "interaction_daily", "cls_features"],
    description=(
        "v1 Measurement rows (`measurements`, source ccp_assets) per day (CLS, IMPF = interaction minutes / "
        "features shipped, churn_score, feature_delta), per window, per session and per shipped feature; every "
        "NULL carries its reason in `errors`."
        + glossary("avg_cls", "avg_impf", "avg_churn_score", "features_shipped", "errors")
    ),
)
def measurements(context: AssetView, warehouse: SharedWarehouse) -> MaterializeResult:
    out, blocked = run_days(context, warehouse, entity_day)
    return per_partition(context, {d: {"rows": n} for d, n in out.items()}, blocked=blocked)
