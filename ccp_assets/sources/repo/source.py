"""The team's repository as a `Source`: commits, feature files and JUnit reports -> commits and features."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ccp_assets.settings import Settings
from ccp_assets.sources.protocol import DayMetadata, Source
from ccp_assets.sources.repo.adapter import RepoSource

if TYPE_CHECKING:
    import duckdb

    from ccp_assets.sources.landing_ledger import LandingResult


class Repo(RepoSource, Source):
    rows_source = "repo"
    tables = ("commits", "features", "value_records")
    checked_tables = ("commits", "features")
    raw_description = (
        "What is new in the team's repository (CCP_REPO_DIR) since the last landing: commits (with numstat, "
        "found from the refs seen last time), versions of BDD *.feature files and JUnit XML reports, exported "
        "one JSON line each and landed under their event day in $CCP_HOME/landing/repo. Metadata lists the "
        "commit SHAs landed."
    )
    normalized_description = (
        "The repository's commits of the day (`commits`: numstat totals and files, on main or not) and its BDD "
        "features (`features`, source = repo: id from the @id: tag or the slugged title, spec_ref = path:line, "
        "status implemented when every scenario's tests pass in the day's JUnit reports, shipped when that "
        "holds for the feature file on main; tests_passed is the day's value)."
    )

    def normalize(self, conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
        from ccp_assets.sources.repo.normalize import normalize_day

        results = [normalize_day(conn, settings, day) for day in days]
        return [DayMetadata(r.day, {
            "lines": r.lines,
            "rows": r.commits + r.features,
            "commits": r.commits,
            "feature_rows": r.features,
            "implemented_or_shipped": r.implemented,
            "shipped": r.shipped,
            "tests_passed": r.tests_passed,
            "tests_failed": r.tests_failed,
            "unmapped_tests": r.unmapped_tests,
            "quarantined": r.quarantined,
        }) for r in results]

    def raw_metadata(self, conn: duckdb.DuckDBPyConnection, settings: Settings, result: LandingResult,
                     days: list[str]) -> dict[str, dict[str, Any]]:
        from ccp_assets.sources.repo.raw_metadata import commit_metadata

        return commit_metadata(conn, settings, self.name, result, days)


SOURCE = Repo()
