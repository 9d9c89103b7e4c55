"""daily_summary: metrics_summary.json per day, its week's summary, and its section of progress.log.md."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, usable_days
from ccp_assets.assets.rollups.files import (
    daily_summary_path,
    upsert_progress_sections,
    weekly_summary_path,
    write_json,
)
from ccp_assets.assets.rollups.summary import build_daily_summary, progress_section
from ccp_assets.assets.rollups.weekly import build_weekly_summary
from ccp_assets.licensing import effective_tier
from ccp_assets.settings import load_settings
from ccp_assets.warehouse.resource import WarehouseResource

# Numbers plotted across partitions in the UI (one point per day).
PLOTTED = ("sessions", "turns", "features_shipped", "cost_usd_total", "avg_cls", "avg_impf", "avg_churn_score")


def _markdown_table(summary: dict) -> str:
    rows = ["| model | tokens | cost (USD) | share of calls |", "|---|---:|---:|---:|"]
    for model, t in sorted(summary["tokens_by_model"].items()):
        shares = summary.get("model_share") or {}
        share = ((shares.get("models") or shares).get(model) or {}).get("turns")
        rows.append(f"| {model} | {t['total']:,} | {summary['cost_usd_by_model'].get(model) or 0:.4f} | "
                    f"{'' if share is None else f'{share:.0%}'} |")
    return "\n".join(rows)


def _day_metadata(summary: dict) -> dict:
    meta: dict = {k: MetadataValue.float(float(summary[k])) for k in PLOTTED
                  if isinstance(summary.get(k), int | float)}
    for prov, e in (summary.get("efficiency_by_provider") or {}).items():
        for k in ("e", "e_q"):
            if isinstance(e.get(k), int | float):
                meta[f"{k}_{prov}"] = MetadataValue.float(float(e[k]))
    per_unit = summary.get("quality_adjusted_efficiency")
    for unit, v in (per_unit.items() if isinstance(per_unit, dict) else []):
        if isinstance(v, int | float):
            meta[f"e_q_{unit}"] = MetadataValue.float(float(v))
    meta["preview"] = MetadataValue.md(_markdown_table(summary))
    meta["errors"] = MetadataValue.json(summary.get("errors", []))
    return meta


@daily_asset(
    name="daily_summary",
    group="rollups",
    kinds={"json", "markdown"},
    deps=["usage_cost", "normalized_claude_code", "measurements", "efficiency_daily", "features_daily",
          "churn_daily", "cls_features", "interaction_daily", "model_mix_daily", "routing_daily",
          "policy_findings"],
    description=(
        "$CCP_HOME/rollups/YYYY-MM-DD/metrics_summary.json (fields: docs/METRICS.md in the repository), the ISO week's "
        "$CCP_HOME/rollups/weekly/YYYY-Www/metrics_summary.json (complete when the week closes) and the day's "
        "section of $CCP_HOME/rollups/progress.log.md, rewritten only when their content changes."
    ),
)
def daily_summary(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    tier, why = effective_tier(settings)
    context.log.info(f"effective tier: {tier} ({why})")
    written, sections, weeks = [], {}, {}
    with warehouse.connect() as conn:
        days, blocked = usable_days(context, conn)
        for day in days:
            summary = build_daily_summary(conn, day, tier)
            if summary is None:
                context.add_asset_metadata({"no_data": True}, partition_key=day)
                continue
            if write_json(daily_summary_path(settings.rollups_dir, day), summary):
                written.append(day)
            sections[day] = progress_section(summary)
            context.add_asset_metadata(_day_metadata(summary), partition_key=day)
            weeks[weekly_summary_path(settings.rollups_dir, day)] = day
    for day, why_blocked in blocked.items():
        context.add_asset_metadata({"withheld": MetadataValue.json(why_blocked)}, partition_key=day)
    for path, day in weeks.items():
        weekly = build_weekly_summary(settings.rollups_dir, day)
        if weekly is not None and write_json(path, weekly):
            written.append(weekly["week"])
    if sections:
        upsert_progress_sections(settings.rollups_dir / "progress.log.md", sections)
    return MaterializeResult(metadata={
        "days_with_data": len(sections), "files_changed": len(written), "tier": tier,
        "withheld": MetadataValue.json(sorted(blocked)),
        "rollups_dir": MetadataValue.path(str(settings.rollups_dir)),
    })
