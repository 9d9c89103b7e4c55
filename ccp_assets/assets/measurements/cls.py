"""cls_features: the seven CLS inputs per day and window from git, their 90-day z-scores and CLS."""

from dagster import MaterializeResult, MetadataValue

from ccp_assets.assets.common import per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.measurements.runner import run_days
from ccp_assets.measurements.cls import REVIEW_THRESHOLD, ImportGraph, cls_day
from ccp_assets.measurements.gitrepo import GitRepo
from ccp_assets.settings_resource import SettingsResource


@daily_part(
    name="cls_features",
    table="cls_features",
    group="measurements",
    kinds={"duckdb", "git", "python"},
    deps=["normalized_repo", "normalized_agentos"],
    description=(
        "CLS v1 per day (the day's commits on main) and per window with a commit range (`cls_features`): files "
        "touched, module spread, import depth, Δ cyclomatic complexity (radon; other languages named), plan/spec "
        "KiB, public interface delta and cross-module references from the git diff, z-scored against the same "
        f"repository's trailing 90 days; CLS > {REVIEW_THRESHOLD} asks for stronger review. A missing input "
        "contributes 0 and is named."
        + glossary("avg_cls")
    ),
)
def cls_features(context: AssetView, warehouse: SharedWarehouse,
                 settings: SettingsResource) -> MaterializeResult:
    config = settings.get()
    repo, why = GitRepo.open(config.repo_dir)
    graphs: dict[str, ImportGraph] = {}
    try:
        out, blocked = run_days(context, warehouse,
                                lambda conn, day: cls_day(conn, repo, why, day, config.timezone, graphs))
    finally:
        if repo is not None:
            repo.close()
    shared = {"git": repo is not None, **({} if repo is not None else {"no_repository": why})}
    return per_partition(context, {d: {"scopes": len(r), "scope_names": MetadataValue.json([s["scope"] for s in r])}
                                   for d, r in out.items()}, shared=shared, blocked=blocked)
