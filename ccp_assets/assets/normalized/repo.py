"""normalized_repo: commits with numstat and BDD feature status per day."""

from dagster import AssetExecutionContext, MaterializeResult

from ccp_assets.assets.common import daily_asset, partition_days
from ccp_assets.settings import load_settings
from ccp_assets.sources.repo_normalize import normalize_day
from ccp_assets.warehouse.resource import WarehouseResource


@daily_asset(
    name="normalized_repo",
    group="normalized",
    deps=["raw_repo"],
    description=(
        "The repository's commits of the day (`commits`: numstat totals and files, on main or not) and its BDD "
        "features (`features`, source = repo: id from the @id: tag or the slugged title, spec_ref = path:line, "
        "status implemented when every scenario's tests pass in the day's JUnit reports, shipped when that "
        "holds for the feature file on main; tests_passed is the day's value)."
    ),
)
def normalized_repo(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = load_settings()
    with warehouse.connect() as conn:
        results = [normalize_day(conn, settings, day) for day in partition_days(context)]
    return MaterializeResult(metadata={
        "lines": sum(r.lines for r in results),
        "rows": sum(r.commits + r.features for r in results),
        "commits": sum(r.commits for r in results),
        "feature_rows": sum(r.features for r in results),
        "implemented_or_shipped": sum(r.implemented for r in results),
        "shipped": sum(r.shipped for r in results),
        "tests_passed": sum(r.tests_passed for r in results),
        "tests_failed": sum(r.tests_failed for r in results),
        "unmapped_tests": sum(r.unmapped_tests for r in results),
        "quarantined": sum(r.quarantined for r in results),
    })
