"""One factory for the raw asset of any JSONL source: land new bytes, report what landed for the range."""


from collections.abc import Callable
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue

from ccp_assets.assets.common import daily_asset, partition_days
from ccp_assets.settings import Settings, load_settings
from ccp_assets.sources.base import SourceAdapter
from ccp_assets.sources.landing import LandingResult, day_files, land
from ccp_assets.warehouse.resource import WarehouseResource

ExtraMetadata = Callable[[Settings, LandingResult, list[str]], dict[str, Any]]


def raw_landing_asset(name: str, adapter: SourceAdapter, description: str,
                      extra_metadata: ExtraMetadata | None = None) -> AssetsDefinition:
    """`raw_<source>`: lands the adapter's new bytes (landing.py) and reports lines/quarantine per range.

    `lines` counts every line landed for the partition's days (whenever it landed), `new_lines` only what
    this materialization landed itself (usually 0 under `ccp materialize`, which lands before the run).
    """

    @daily_asset(name=name, group="raw", kinds={"parquet", "python"}, description=description)
    def _raw(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        settings = load_settings()
        days = partition_days(context)
        with warehouse.connect() as conn:
            result = land(conn, adapter, settings)
            quarantined = conn.execute(
                "SELECT count(*) FROM quarantine WHERE source = ? AND stage = 'landing' AND state = 'rejected' "
                "AND CAST(day AS VARCHAR) IN (SELECT unnest(?))", [adapter.name, days]).fetchone()[0]
            files = day_files(settings, adapter.name, days)
            lines = conn.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning = false)",
                                 [files]).fetchone()[0] if files else 0
        in_range = sum(n for d, n in result.days.items() if d in days)
        context.log.info(f"{adapter.name}: landed {result.lines_landed} new lines from {result.files_read} files; "
                         f"{in_range} fall in {days[0]}..{days[-1]}")
        meta: dict[str, Any] = {
            "source_enabled": adapter.enabled(settings),
            "lines": lines,
            "quarantined": quarantined,
            "files_seen": result.files_seen,
            "files_read": result.files_read,
            "new_bytes": result.bytes_read,
            "new_lines": result.lines_landed,
            "new_lines_in_partition": in_range,
            "quarantined_lines": quarantined,
            "held_lines": result.held,
            "days_touched": MetadataValue.json(result.days),
            "landing_dir": MetadataValue.path(str(settings.landing_dir / adapter.name)),
        }
        if extra_metadata is not None:
            meta.update(extra_metadata(settings, result, days))
        return MaterializeResult(metadata=meta)

    return _raw
