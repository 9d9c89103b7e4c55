"""churn_daily: AgentOS window churn and git churn_7d/14d/28d (blame) per day, and the churn_score."""

from datetime import UTC, datetime

from dagster import MaterializeResult

from ccp_assets.assets.common import per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.measurements.runner import run_days
from ccp_assets.measurements.churn import churn_day
from ccp_assets.measurements.gitrepo import GitRepo
from ccp_assets.settings_resource import SettingsResource


@daily_part(
    name="churn_daily",
    table="churn_daily",
    group="measurements",
    kinds={"duckdb", "git"},
    deps=["normalized_repo", "normalized_agentos"],
    description=(
        "Churn per day (`churn_daily`): AgentOS window churn (net lines per feature) and, from the git repository "
        "(CCP_REPO_DIR), churn_Nd for N = 7, 14, 28: the share of the lines the day's commits added that "
        "`git blame` no longer attributes to them N days later. churn_score = churn_14d, else the window churn "
        "with the fallback named in errors."
        + glossary("churn_14d", "avg_churn_score", "notes")
    ),
)
def churn_daily(context: AssetView, warehouse: SharedWarehouse,
                settings: SettingsResource) -> MaterializeResult:
    repo, why = GitRepo.open(settings.get().repo_dir)
    now = datetime.now(UTC)
    try:
        out, blocked = run_days(context, warehouse, lambda conn, day: churn_day(conn, repo, why, day, now))
    finally:
        if repo is not None:
            repo.close()
    return per_partition(context, {d: {
        "lines_added": r["lines_added"] or 0,
        "churn_14d": r["churn_14d"],
        "churn_source": r["churn_source"],
    } for d, r in out.items()}, shared={"git": repo is not None}, blocked=blocked)
