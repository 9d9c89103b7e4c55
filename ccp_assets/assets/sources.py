"""The one factory of every source's assets and checks: one step per source, `source_<name>`.

A source says what it is (sources/protocol.py: Source); this module says how any source becomes Dagster
assets, so the sources carry no copies of the same asset body and `definitions.py` names no source.

Each source is one `multi_asset` making `raw_<name>` (landing) and `normalized_<name>` (its normalizer),
with the blocking drift check of each table in `checked_tables` as its check specs, evaluated in the same
step after normalization on the same warehouse connection (issue 16). Separate steps cost each source 2 +
its checks' Dagster steps (~12 ms per event written to SQLite, ~0.1-0.2 s a step) and as many connections
(open, schema check, close: 30-50 ms each) on the fixture's cold build: 23 of its 38 steps, most for
sources with nothing. `can_subset` keeps `raw_x`, `normalized_x` or one check selectable alone (the UI,
`ccp materialize --select`).

A source with nothing (nothing landed now or ever, nothing quarantined, no rows, no profile: `is_empty`)
is judged without SQL beyond that proof: its drift reports pass with zero figures (checks/normalized.py).
"""

from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from ccp_assets.assets.common import OWNERS, partition_days, per_partition
from ccp_assets.checks.gx_runner import prewarm
from ccp_assets.checks.normalized import drift_check_specs, drift_results, is_empty
from ccp_assets.partitions import DAILY, SINGLE_RUN
from ccp_assets.settings import Settings
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.sources.landing import LandingResult, day_files, land
from ccp_assets.sources.protocol import Source
from ccp_assets.sources.registry import SOURCES
from ccp_assets.warehouse.resource import WAREHOUSE_POOL, WarehouseResource


def landing_pass(result: LandingResult) -> MetadataValue:
    """What this landing pass read across all days (not a figure of any one day, hence one JSON value)."""
    return MetadataValue.json({"files_seen": result.files_seen, "files_read": result.files_read,
                               "new_bytes": result.bytes_read, "new_lines": result.lines_landed,
                               "held_lines": result.held, "days_touched": result.days})


def _raw(context: AssetExecutionContext, conn: Any, source: Source, settings: Settings, days: list[str],
         result: LandingResult, empty: bool) -> MaterializeResult:
    """`raw_<name>`'s figures: each partition's `lines` counts every line landed for its day (whenever it
    landed), `new_lines` only what this step landed for that day (usually 0 under `ccp materialize`, which
    lands before the run); `landing_pass` is the whole pass (files read, bytes, held lines, days touched)."""
    quarantined: dict[str, int] = {}
    if not empty:
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
    }, asset_key=AssetKey(f"raw_{source.name}"))


def source_step(source: Source) -> AssetsDefinition:
    """`raw_<name>` and `normalized_<name>` of one source, and its drift checks, as one step."""
    raw, normalized = AssetKey(f"raw_{source.name}"), AssetKey(f"normalized_{source.name}")
    checks = drift_check_specs(normalized, source.checked_tables, source.rows_source)
    specs = [
        AssetSpec(raw, group_name="raw", description=source.raw_description, owners=OWNERS,
                  kinds={"parquet", "python"}),
        AssetSpec(normalized, group_name="normalized", description=source.normalized_description, owners=OWNERS,
                  kinds={"duckdb"}, deps=[raw]),
    ]

    @multi_asset(name=f"source_{source.name}", specs=specs, check_specs=checks, partitions_def=DAILY,
                 backfill_policy=SINGLE_RUN, pool=WAREHOUSE_POOL, can_subset=True,
                 description=f"Lands, normalizes and drift-checks the {source.name} source in one step.")
    def _step(context: AssetExecutionContext, warehouse: WarehouseResource,
              settings: SettingsResource) -> Iterator[Any]:
        settings = settings.get()
        days = partition_days(context)
        tables = [c.name.removesuffix("_suite") for c in checks if c.key in context.selected_asset_check_keys]
        if tables:
            prewarm()  # the drift checks need Great Expectations: import it on the other core meanwhile
        with warehouse.connect() as conn:
            result = land(conn, source, settings) if raw in context.selected_asset_keys else LandingResult(source.name)
            empty = is_empty(conn, source, settings, result)
            if raw in context.selected_asset_keys:
                yield _raw(context, conn, source, settings, days, result, empty)
            if normalized in context.selected_asset_keys:
                results = source.normalize(conn, settings, days)
                yield per_partition(context, {r.day: r.metadata for r in results}, asset_key=normalized)
            yield from drift_results(context, conn, settings, normalized, tables, source.rows_source, empty)

    return _step


def source_assets() -> list[AssetsDefinition]:
    """One step per registered source (raw, normalized and its checks), in registry order."""
    return [source_step(s) for s in SOURCES]


def normalized_of(*calls: str) -> list[str]:
    """The normalized asset names of the sources whose turns enter unified_turns in these roles (deps)."""
    return [f"normalized_{s.name}" for s in SOURCES if s.calls in calls]
