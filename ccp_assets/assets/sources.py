"""One factory for the raw asset of any JSONL source: land new bytes, report what landed for the range."""


from collections.abc import Callable
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days, per_partition
from ccp_assets.settings import Settings, load_settings
from ccp_assets.sources.base import SourceAdapter
from ccp_assets.sources.landing import LandingResult, day_files, land
from ccp_assets.warehouse.resource import WarehouseResource

# {day: metadata} for the step's days, added to each day's own metadata.
ExtraMetadata = Callable[[Settings, LandingResult, list[str]], dict[str, dict[str, Any]]]


def landing_pass(result: LandingResult) -> MetadataValue:
    """What this landing pass read across all days (not a figure of any one day, hence one JSON value)."""
    return MetadataValue.json({"files_seen": result.files_seen, "files_read": result.files_read,
                               "new_bytes": result.bytes_read, "new_lines": result.lines_landed,
                               "held_lines": result.held, "days_touched": result.days})


def raw_landing_asset(name: str, adapter: SourceAdapter, description: str,
                      extra_metadata: ExtraMetadata | None = None) -> AssetsDefinition:
    """`raw_<source>`: lands the adapter's new bytes (landing.py) and reports lines/quarantine per day.

    Each partition's `lines` counts every line landed for its day (whenever it landed), `new_lines` only what
    this materialization landed for that day (usually 0 under `ccp materialize`, which lands before the run);
    `landing_pass` is the whole pass (files read, bytes, held lines, days touched).
    """

    @daily_asset(name=name, group="raw", kinds={"parquet", "python"}, description=description)
    def _raw(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        settings = load_settings()
        days = partition_days(context)
        with warehouse.connect() as conn:
            result = land(conn, adapter, settings)
            quarantined = dict(conn.execute(
                "SELECT CAST(day AS VARCHAR), count(*) FROM quarantine WHERE source = ? AND stage = 'landing' "
                "AND state = 'rejected' AND CAST(day AS VARCHAR) IN (SELECT unnest(?)) GROUP BY 1",
                [adapter.name, days]).fetchall())
            files = day_files(settings, adapter.name, days)
            lines = dict(conn.execute("SELECT CAST(day AS VARCHAR), count(*) FROM read_parquet(?, hive_partitioning "
                                      "= true) GROUP BY 1", [files]).fetchall()) if files else {}
        in_range = sum(n for d, n in result.days.items() if d in days)
        context.log.info(f"{adapter.name}: landed {result.lines_landed} new lines from {result.files_read} files; "
                         f"{in_range} fall in {days[0]}..{days[-1]}")
        extra = extra_metadata(settings, result, days) if extra_metadata is not None else {}
        return per_partition(context, {d: {
            "lines": lines.get(d, 0),
            "quarantined": quarantined.get(d, 0),
            "quarantined_lines": quarantined.get(d, 0),
            "new_lines": result.days.get(d, 0),
            "new_lines_in_partition": result.days.get(d, 0),
            **extra.get(d, {}),
        } for d in days}, shared={
            "source_enabled": adapter.enabled(settings),
            "landing_pass": landing_pass(result),
            "landing_dir": MetadataValue.path(str(settings.landing_dir / adapter.name)),
        })

    return _raw
