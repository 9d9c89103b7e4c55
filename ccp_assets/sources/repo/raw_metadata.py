"""raw_repo's extra metadata: which commits a landing brought in for each day, and all commits of the day."""

from __future__ import annotations

from typing import Any

import duckdb

from ccp_assets.settings import Settings
from ccp_assets.sources.landing import LandingResult, day_files, source_dir

SHOWN = 50
"""SHAs listed per day (the counts are whole; a day of a big merge would otherwise list thousands)."""


def commit_metadata(conn: duckdb.DuckDBPyConnection, settings: Settings, name: str, result: LandingResult,
                    days: list[str]) -> dict[str, dict[str, Any]]:
    """Per day: the commit SHAs this landing brought in for it, and all the SHAs landed for it."""
    new: dict[str, list[str]] = {}
    in_range: dict[str, list[str]] = {}
    sql = ("SELECT CAST(day AS VARCHAR), list(DISTINCT line::JSON->>'$.sha') FROM read_parquet(?, hive_partitioning = "
           "true) WHERE (line::JSON->>'$.ccp_export') = 'commit' GROUP BY 1")
    if result.batch_id is not None:
        batch = sorted(str(p) for p in source_dir(settings, name).glob(f"day=*/b{result.batch_id:08d}_*.parquet"))
        if batch:
            new = dict(conn.execute(sql, [batch]).fetchall())
    files = day_files(settings, name, days)
    if files:
        in_range = dict(conn.execute(sql, [files]).fetchall())
    return {d: {"new_commits": len(new.get(d, [])), "new_commit_shas": sorted(new.get(d, []))[:SHOWN],
                "commits_in_partition": len(in_range.get(d, [])),
                "commit_shas_in_partition": sorted(in_range.get(d, []))[:SHOWN]} for d in days}
