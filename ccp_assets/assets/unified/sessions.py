"""unified_sessions: Claude Code session rows completed with git, license and interaction facts."""

from dagster import MaterializeResult

from ccp_assets.assets.common import partition_days, per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.sources.unified_sessions import RepoResolver, fill_sessions
from ccp_assets.warehouse.tx import transaction


@daily_part(
    name="unified_sessions",
    table="sessions",
    group="unified",
    kinds={"duckdb", "git"},
    deps=["normalized_claude_code", "interaction_daily"],
    description=(
        "Fills the unified Session fields of Claude Code sessions (table `sessions`) that the transcript does not "
        "carry: repo_id and commit from git (the session's cwd, else CCP_REPO_DIR when the session is that "
        "repository's; the tip of its gitBranch at its last activity), license_id and privacy_tier from the "
        "effective license, interaction_minutes from interaction_daily."
        + glossary("sessions")
    ),
)
def unified_sessions(context: AssetView, warehouse: SharedWarehouse,
                     settings: SettingsResource) -> MaterializeResult:
    resolver = RepoResolver(settings.get().repo_dir)
    with warehouse.connect() as conn:
        with_repo = {}
        for day in partition_days(context):
            with transaction(conn):
                with_repo[day] = fill_sessions(conn, settings.get(), day, resolver)
    return per_partition(context, {day: {"sessions_with_repository": n} for day, n in with_repo.items()})
