"""raw_repo: what is new in the team's repository (commits, feature files, JUnit reports) landed per day."""

from typing import Any

from dagster import MetadataValue

from ccp_assets.assets.sources import raw_landing_asset
from ccp_assets.settings import Settings
from ccp_assets.sources.landing import LandingResult, day_files, source_dir
from ccp_assets.sources.repo.adapter import RepoSource
from ccp_assets.warehouse.resource import warehouse_for

SOURCE = RepoSource()
SHOWN = 50


def _commit_metadata(settings: Settings, result: LandingResult, days: list[str]) -> dict[str, dict[str, Any]]:
    """Per day: the commit SHAs this landing brought in for it, and all the SHAs landed for it."""
    new: dict[str, list[str]] = {}
    in_range: dict[str, list[str]] = {}
    sql = ("SELECT CAST(day AS VARCHAR), list(DISTINCT line::JSON->>'$.sha') FROM read_parquet(?, hive_partitioning = "
           "true) WHERE (line::JSON->>'$.ccp_export') = 'commit' GROUP BY 1")
    with warehouse_for(settings.warehouse_path).connect() as conn:
        if result.batch_id is not None:
            batch = sorted(str(p) for p in source_dir(settings, SOURCE.name).glob(f"day=*/b{result.batch_id:08d}_*.parquet"))
            if batch:
                new = dict(conn.execute(sql, [batch]).fetchall())
        files = day_files(settings, SOURCE.name, days)
        if files:
            in_range = dict(conn.execute(sql, [files]).fetchall())
    return {d: {"new_commits": len(new.get(d, [])), "new_commit_shas": MetadataValue.json(sorted(new.get(d, []))[:SHOWN]),
                "commits_in_partition": len(in_range.get(d, [])),
                "commit_shas_in_partition": MetadataValue.json(sorted(in_range.get(d, []))[:SHOWN])} for d in days}


raw_repo = raw_landing_asset(
    "raw_repo",
    SOURCE,
    description=(
        "What is new in the team's repository (CCP_REPO_DIR) since the last landing: commits (with numstat, "
        "found from the refs seen last time), versions of BDD *.feature files and JUnit XML reports, exported "
        "one JSON line each and landed under their event day in $CCP_HOME/landing/repo. Metadata lists the "
        "commit SHAs landed."
    ),
    extra_metadata=_commit_metadata,
)
