"""daily_summary: metrics_summary.json per day, its week's summary, and its section of progress.log.md."""


from dagster import MaterializeResult, MetadataValue

from ccp_assets.assets.common import per_partition, usable_days
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.rollups.files import (
    daily_summary_path,
    upsert_progress_sections,
    weekly_summary_path,
    write_json,
)
from ccp_assets.assets.rollups.summary import build_daily_summary, progress_section
from ccp_assets.assets.rollups.weekly import build_weekly_summary
from ccp_assets.licensing import effective_tier
from ccp_assets.settings_resource import SettingsResource

# Numbers plotted across partitions in the UI (one point per day), in the order the UI shows them: the
# metadata dict's order is the plot order, so the story reads cost, volume, output, then quality.
PLOTTED = ("cost_usd_total", "sessions", "turns", "features_shipped")
QUALITY = ("avg_cls", "avg_impf", "avg_churn_score")
COUNTS = ("sessions", "turns", "features_shipped")
PROVISIONAL = "(provisional)"


def _markdown_table(summary: dict) -> str:
    rows = ["| model | tokens | cost (USD) | share of calls |", "|---|---:|---:|---:|"]
    for model, t in sorted(summary["tokens_by_model"].items()):
        shares = summary.get("model_share") or {}
        share = ((shares.get("models") or shares).get(model) or {}).get("turns")
        rows.append(f"| {model} | {t['total']:,} | {summary['cost_usd_by_model'].get(model) or 0:.4f} | "
                    f"{'' if share is None else f'{share:.0%}'} |")
    by_source = summary.get("cost_usd_by_source") or {}
    if by_source:  # one table only: the UI shows the preview's table as the day's model breakdown
        rows += ["", "Cost by source (USD, each call once): " + ", ".join(
            f"{src} {usd:.4f}" for src, usd in sorted(by_source.items()))
            + f"; total {summary.get('cost_usd_total') or 0:.4f}."]
    return "\n".join(rows)


def _number(key: str, v: float) -> MetadataValue:
    return MetadataValue.int(int(v)) if key in COUNTS and float(v).is_integer() else MetadataValue.float(float(v))


def _day_metadata(summary: dict) -> dict:
    """The day's numbers, plots first in reading order (see PLOTTED), then the tables and notes."""
    meta: dict = {k: _number(k, summary[k]) for k in PLOTTED if isinstance(summary.get(k), int | float)}
    for source, usd in sorted((summary.get("cost_usd_by_source") or {}).items()):
        meta[f"cost_usd_{source}"] = MetadataValue.float(float(usd))
    for prov, e in sorted((summary.get("efficiency_by_provider") or {}).items()):
        for k in ("e", "e_q"):
            if isinstance(e.get(k), int | float):
                meta[f"{k}_{prov}"] = MetadataValue.float(float(e[k]))
    per_unit = summary.get("quality_adjusted_efficiency")
    for unit, v in sorted(per_unit.items() if isinstance(per_unit, dict) else []):
        if isinstance(v, int | float):
            meta[f"e_q_{unit}"] = MetadataValue.float(float(v))
    meta.update({k: MetadataValue.float(float(summary[k])) for k in QUALITY if isinstance(summary.get(k), int | float)})
    meta["preview"] = MetadataValue.md(_markdown_table(summary))
    meta["progress_log"] = MetadataValue.md(progress_section(summary))
    meta["cost_usd_by_source"] = MetadataValue.json(summary.get("cost_usd_by_source") or {})
    errors = summary.get("errors", [])
    # A churn window not over yet is a remark, not a failure: shown as `notes`, kept in the file's errors.
    meta["errors"] = MetadataValue.json([e for e in errors if PROVISIONAL not in str(e)])
    meta["notes"] = MetadataValue.json([e for e in errors if PROVISIONAL in str(e)])
    return meta


@daily_part(
    name="daily_summary",
    group="rollups",
    kinds={"json", "markdown"},
    deps=["usage_cost", "normalized_claude_code", "measurements", "efficiency_daily", "features_daily",
          "churn_daily", "cls_features", "interaction_daily", "model_mix_daily", "routing_daily",
          "policy_findings"],
    description=(
        "The day in one page: `$CCP_HOME/rollups/YYYY-MM-DD/metrics_summary.json` (fields: docs/METRICS.md), the "
        "ISO week's `$CCP_HOME/rollups/weekly/YYYY-Www/metrics_summary.json` (complete when the week closes) and "
        "the day's section of `$CCP_HOME/rollups/progress.log.md` (shown here as `progress_log`), rewritten "
        "only when their content changes. Each day's metadata is that day's own numbers, plotted across "
        "partitions in this order: cost (USD), sessions, calls, features, cost per source (USD), efficiency, "
        "quality."
        + glossary("cost_usd_total", "cost_usd_<source>", "sessions", "turns", "features_shipped", "e_<provider>",
                   "e_q_<unit>", "capacity", "avg_cls", "avg_impf", "avg_churn_score", "progress_log", "errors",
                   "notes", "withheld")
    ),
)
def daily_summary(context: AssetView, warehouse: SharedWarehouse,
                  settings: SettingsResource) -> MaterializeResult:
    config = settings.get()
    tier, why = effective_tier(config)
    context.log.info(f"effective tier: {tier} ({why})")
    written: dict[str, list[str]] = {}
    sections, weeks, per_day = {}, {}, {}
    with warehouse.connect() as conn:
        days, blocked = usable_days(context, conn)
        for day in days:
            summary = build_daily_summary(conn, config, day, tier)
            if summary is None:
                per_day[day] = {"no_data": True, "days_with_data": 0, "files_changed": 0}
                continue
            written[day] = [day] if write_json(daily_summary_path(config.rollups_dir, day), summary) else []
            sections[day] = progress_section(summary)
            per_day[day] = _day_metadata(summary)
            weeks[weekly_summary_path(config.rollups_dir, day)] = day
    for path, day in weeks.items():  # a week's file is rewritten once, by (and counted on) its last day here
        weekly = build_weekly_summary(config.rollups_dir, day)
        if weekly is not None and write_json(path, weekly):
            written[day].append(weekly["week"])
    if sections:
        upsert_progress_sections(config.rollups_dir / "progress.log.md", sections)
    for day, files in written.items():
        per_day[day].update({"days_with_data": 1, "files_changed": len(files),
                             "files_written": MetadataValue.json(files)})
    return per_partition(context, per_day, blocked=blocked, shared={
        "tier": tier, "rollups_dir": MetadataValue.path(str(config.rollups_dir))})
