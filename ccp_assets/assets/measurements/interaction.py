"""interaction_daily: human interaction minutes per session from the landed Claude Code transcripts."""

from dagster import MaterializeResult

from ccp_assets.assets.common import per_partition, usable_days
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.measurements.interaction import interaction_days
from ccp_assets.settings_resource import SettingsResource


@daily_part(
    name="interaction_daily",
    table="interaction_daily",
    group="measurements",
    deps=["raw_claude_code", "normalized_claude_code", "normalized_ccc_events"],
    description=(
        "Human interaction minutes per session and day (`interaction_daily`) from the landed Claude Code lines: "
        "for each human prompt (main thread, not a tool result, not written by Claude Code itself) the time "
        "since the session's previous assistant output, capped at 5 minutes, 0 for the first prompt; per "
        "session IMPF = minutes / features it completed (CCC session_end), NULL with the reason otherwise."
        + glossary("avg_impf", "sessions")
    ),
)
def interaction_daily(context: AssetView, warehouse: SharedWarehouse,
                      settings: SettingsResource) -> MaterializeResult:
    with warehouse.connect() as conn:  # all the step's days at once (batched inside), not one query per day
        days, blocked = usable_days(context, conn)
        out = interaction_days(conn, settings.get(), days)
    return per_partition(context, {d: {
        "sessions": r["sessions"],
        "interaction_minutes": round(r["minutes"] or 0, 3),
    } for d, r in out.items()}, blocked=blocked)
