"""The one factory of every source's assets and checks: `raw_<name>`, `normalized_<name>`, drift checks.

A source says what it is (sources/protocol.py: Source); this module says how any source becomes Dagster
assets, so the five sources no longer carry five copies of the same asset body (raw_claude_code had
re-implemented the landing asset) and `definitions.py` names no source.
"""

from dagster import (
    AssetChecksDefinition,
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
)

from ccp_assets.assets.common import daily_asset, partition_days, per_partition
from ccp_assets.checks.gx_runner import prewarm
from ccp_assets.checks.normalized import drift_checks
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.sources.landing import LandingResult, day_files, land
from ccp_assets.sources.protocol import Source
from ccp_assets.sources.registry import SOURCES
from ccp_assets.warehouse.resource import WarehouseResource


def landing_pass(result: LandingResult) -> MetadataValue:
    """What this landing pass read across all days (not a figure of any one day, hence one JSON value)."""
    return MetadataValue.json({"files_seen": result.files_seen, "files_read": result.files_read,
                               "new_bytes": result.bytes_read, "new_lines": result.lines_landed,
                               "held_lines": result.held, "days_touched": result.days})


def raw_asset(source: Source) -> AssetsDefinition:
    """`raw_<name>`: lands the source's new bytes (landing.py) and reports lines/quarantine per day.

    Each partition's `lines` counts every line landed for its day (whenever it landed), `new_lines` only what
    this materialization landed for that day (usually 0 under `ccp materialize`, which lands before the run);
    `landing_pass` is the whole pass (files read, bytes, held lines, days touched).
    """

    @daily_asset(name=f"raw_{source.name}", group="raw", kinds={"parquet", "python"},
                 description=source.raw_description)
    def _raw(context: AssetExecutionContext, warehouse: WarehouseResource,
             settings: SettingsResource) -> MaterializeResult:
        prewarm()  # the drift checks need Great Expectations: import it on the other core meanwhile
        settings = settings.get()
        days = partition_days(context)
        with warehouse.connect() as conn:
            result = land(conn, source, settings)
            quarantined = dict(conn.execute(
                "SELECT CAST(day AS VARCHAR), count(*) FROM quarantine WHERE source = ? AND stage = 'landing' "
                "AND state = 'rejected' AND CAST(day AS VARCHAR) IN (SELECT unnest(?)) GROUP BY 1",
                [source.name, days]).fetchall())
            files = day_files(settings, source.name, days)
            lines = dict(conn.execute("SELECT CAST(day AS VARCHAR), count(*) FROM read_parquet(?, hive_partitioning "
                                      "= true) GROUP BY 1", [files]).fetchall()) if files else {}
            extra = source.raw_metadata(conn, settings, result, days)
        in_range = sum(n for d, n in result.days.items() if d in days)
        context.log.info(f"{source.name}: landed {result.lines_landed} new lines from {result.files_read} files; "
                         f"{in_range} fall in {days[0]}..{days[-1]}")
        return per_partition(context, {d: {
            "lines": lines.get(d, 0),
            "quarantined": quarantined.get(d, 0),
            "quarantined_lines": quarantined.get(d, 0),
            "new_lines": result.days.get(d, 0),
            "new_lines_in_partition": result.days.get(d, 0),
            **extra.get(d, {}),
        } for d in days}, shared={
            "source_enabled": source.enabled(settings),
            "landing_pass": landing_pass(result),
            "landing_dir": MetadataValue.path(str(settings.landing_dir / source.name)),
        })

    return _raw


def normalized_asset(source: Source) -> AssetsDefinition:
    """`normalized_<name>`: the source's normalizer over the step's days, each day's figures as its metadata."""

    @daily_asset(name=f"normalized_{source.name}", group="normalized", deps=[f"raw_{source.name}"],
                 description=source.normalized_description)
    def _normalized(context: AssetExecutionContext, warehouse: WarehouseResource,
                    settings: SettingsResource) -> MaterializeResult:
        with warehouse.connect() as conn:
            results = source.normalize(conn, settings.get(), partition_days(context))
        return per_partition(context, {r.day: r.metadata for r in results})

    return _normalized


def source_assets() -> list[AssetsDefinition]:
    """raw and normalized of every registered source, in registry order."""
    return [a for s in SOURCES for a in (raw_asset(s), normalized_asset(s))]


def source_checks() -> list[AssetChecksDefinition]:
    """The blocking drift check of each table a source names in `checked_tables`."""
    return [c for s in SOURCES for c in drift_checks(f"normalized_{s.name}", s.checked_tables, s.rows_source)]


def normalized_of(*calls: str) -> list[str]:
    """The normalized asset names of the sources whose turns enter unified_turns in these roles (deps)."""
    return [f"normalized_{s.name}" for s in SOURCES if s.calls in calls]
