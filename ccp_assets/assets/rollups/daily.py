"""daily_summary: metrics_summary.json per day and its section of progress.log.md."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, usable_days
from ccp_assets.assets.rollups.files import daily_summary_path, upsert_progress_sections, write_json
from ccp_assets.assets.rollups.summary import build_daily_summary, progress_section
from ccp_assets.settings import load_settings
from ccp_assets.warehouse.resource import WarehouseResource


def _markdown_table(summary: dict) -> str:
    rows = ["| model | tokens | cost (USD) | share of calls |", "|---|---:|---:|---:|"]
    for model, t in sorted(summary["tokens_by_model"].items()):
        share = (summary["model_share"].get(model) or {}).get("turns")
        rows.append(f"| {model} | {t['total']:,} | {summary['cost_usd_by_model'].get(model) or 0:.4f} | "
                    f"{'' if share is None else f'{share:.0%}'} |")
    return "\n".join(rows)


@daily_asset(
    name="daily_summary",
    group="rollups",
    kinds={"json", "markdown"},
    deps=["usage_cost", "normalized_claude_code"],
    description=(
        "$CCP_HOME/rollups/YYYY-MM-DD/metrics_summary.json (fields: METRICS.md) and the day's section of "
        "$CCP_HOME/rollups/progress.log.md, rewritten idempotently."
    ),
)
def daily_summary(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    tier = settings.privacy_tier
    written, sections, last = [], {}, None
    with warehouse.connect() as conn:
        days, blocked = usable_days(context, conn)
        for day in days:
            summary = build_daily_summary(conn, day, tier)
            if summary is None:
                continue
            if write_json(daily_summary_path(settings.rollups_dir, day), summary):
                written.append(day)
            sections[day] = progress_section(summary)
            last = summary
    if sections:
        upsert_progress_sections(settings.rollups_dir / "progress.log.md", sections)
    meta: dict = {"days_with_data": len(sections), "files_changed": len(written),
                  "withheld": MetadataValue.json(blocked)}
    if last is not None:
        meta.update({
            "sessions": last["sessions"], "turns": last["turns"],
            "cost_usd": MetadataValue.float(float(last["cost_usd_total"] or 0.0)),
            "preview": MetadataValue.md(_markdown_table(last)),
            "path": MetadataValue.path(str(daily_summary_path(settings.rollups_dir, last["date"]))),
        })
    return MaterializeResult(metadata=meta)
