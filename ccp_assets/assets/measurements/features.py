"""features_daily: features shipped per day (BDD results first, else AgentOS windows, else CCC sessions)."""

from dagster import MaterializeResult

from ccp_assets.assets.common import per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.measurements.runner import run_days
from ccp_assets.measurements.features import features_day


@daily_part(
    name="features_daily",
    table="features_daily",
    group="measurements",
    deps=["normalized_repo", "normalized_agentos", "normalized_ccc_events"],
    description=(
        "Features shipped per day (`features_daily`): a feature ships on the first day all its BDD scenarios "
        "pass with the feature file on main (failing scenarios: never counted); without BDD results that day, "
        "the AgentOS windows' feature counts, else the CCC sessions' features_completed, the basis named. "
        "feature_delta = features newly shipped."
        + glossary("features_shipped")
    ),
)
def features_daily(context: AssetView, warehouse: SharedWarehouse) -> MaterializeResult:
    out, blocked = run_days(context, warehouse, features_day)
    return per_partition(context, {d: {
        "features_shipped": r["features_shipped"] or 0,
        "days_without_feature_source": int(r["basis"] is None),
        "basis": r["basis"],
    } for d, r in out.items()}, blocked=blocked)
