"""efficiency_daily: E and E_q per provider and capacity unit from the current AgentOS windows."""

from dagster import MaterializeResult, MetadataValue

from ccp_assets.assets.common import per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.measurements.runner import run_days
from ccp_assets.measurements.efficiency import efficiency_day


@daily_part(
    name="efficiency_daily",
    table="efficiency_daily",
    group="measurements",
    deps=["normalized_agentos", "churn_daily"],
    description=(
        "E = features / capacity and E_q = Σ features × quality_score / capacity per provider and day "
        "(`efficiency_daily`, per window in `efficiency_windows`), over the current window records (latest "
        "finalized_at wins, exact duplicates once), capacity in the provider's own unit (Δpp for Codex and "
        "Claude with the weekly fallback named, prompts for GLM). quality_score: recorded, else 1 - churn_14d "
        "clamped to [0.5, 1], else 1.0, named. NULL with the reason when the capacity is 0."
        + glossary("e_<provider>", "e_q_<unit>", "capacity")
    ),
)
def efficiency_daily(context: AssetView, warehouse: SharedWarehouse) -> MaterializeResult:
    out, blocked = run_days(context, warehouse, efficiency_day)
    return per_partition(context, {d: {
        "provider_days": len(r),
        "e": MetadataValue.json({p["provider"]: p["e"] for p in r}),
        **{f"e_{p['provider']}": MetadataValue.float(float(p["e"])) for p in r if p["e"] is not None},
    } for d, r in out.items()}, blocked=blocked)
