"""model_mix_daily, routing_daily and policy_findings: who did the work, how it was routed, what the plan allows."""

from dagster import MaterializeResult, MetadataValue

from ccp_assets.assets.common import per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.measurements.runner import run_days
from ccp_assets.measurements.mix import mix_day, routing_day
from ccp_assets.measurements.policy import license_view, policy_day
from ccp_assets.settings_resource import SettingsResource


@daily_part(
    name="model_mix_daily",
    table="model_mix_daily",
    group="measurements",
    deps=["usage_cost", "normalized_ccc_events"],
    description=(
        "Per model and per subagent (`model_mix_daily`): calls, tokens, estimated cost and features completed "
        "in the sessions it took part in, each with its share of the day (counted calls of `priced_turns`)."
        + glossary("turns", "cost_usd_total")
    ),
)
def model_mix_daily(context: AssetView, warehouse: SharedWarehouse) -> MaterializeResult:
    out, blocked = run_days(context, warehouse, mix_day)
    return per_partition(context, {d: {"rows": n} for d, n in out.items()}, blocked=blocked)


@daily_part(
    name="routing_daily",
    table="routing_daily",
    group="measurements",
    deps=["normalized_ccp_proxy"],
    description=(
        "Per CCP proxy lane and day (`routing_daily`): requests, errors, latency p50/p95, reroute decisions and "
        "every decision kind, from the usage log, else from the proxy's METRICS summary (backfill days)."
        + glossary("lane", "p50/p95")
    ),
)
def routing_daily(context: AssetView, warehouse: SharedWarehouse) -> MaterializeResult:
    out, blocked = run_days(context, warehouse, routing_day)
    return per_partition(context, {d: {"lane_days": n} for d, n in out.items()}, blocked=blocked)


@daily_part(
    name="policy_findings",
    table="policy_findings",
    group="measurements",
    deps=["usage_cost", "normalized_agentos"],
    description=(
        "Policy findings per day (`policy_findings`): a non-Anthropic model answering calls (or GLM prompts used) "
        "under a plan without `models_mixed`, and models a cached policy pack does not allow for the plan. The "
        "plan comes from the license in force (none = community)."
        + glossary("policy finding")
    ),
)
def policy_findings(context: AssetView, warehouse: SharedWarehouse,
                    settings: SettingsResource) -> MaterializeResult:
    view = license_view(settings.get())
    out, blocked = run_days(context, warehouse, lambda conn, day: policy_day(conn, view, day))
    return per_partition(context, {d: {"findings": len(r), "finding_texts": MetadataValue.json([f["finding"] for f in r])}
                                   for d, r in out.items()},
                         shared={"plan": view.plan, "models_mixed": view.mixed}, blocked=blocked)
