"""normalized_repo: commits with numstat and BDD feature status per day."""

from dagster import AssetExecutionContext, MaterializeResult

from ccp_assets.assets.common import daily_asset, partition_days, per_partition
from ccp_assets.settings import load_settings
from ccp_assets.sources.repo.normalize import normalize_day
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
    return per_partition(context, {r.day: {
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
    } for r in results})
