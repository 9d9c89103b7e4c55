"""What every asset of the daily graph shares: partitions, backfill policy, the warehouse pool, owners."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    BetaWarning,
    MaterializeResult,
    MetadataValue,
    PreviewWarning,
    asset,
)

from ccp_assets.partitions import DAILY, SINGLE_RUN
from ccp_assets.warehouse.resource import WAREHOUSE_POOL

if TYPE_CHECKING:
    from ccp_assets.assets.fat_step import AssetView

    DayContext = AssetExecutionContext | AssetView  # a single asset's context, or one part's of a fat step

OWNERS = ["team:ccp-assets"]

# backfill_policy and pools are "beta" in Dagster 1.13; we rely on them on purpose, so say it once here.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)


def daily_asset(*, name: str, group: str, description: str, deps: Sequence[str | AssetKey] = (),
                kinds: set[str] | None = None, table: str | None = None, **kwargs: Any) -> Callable:
    """@asset with the daily partitions, a single-run backfill policy and the DuckDB write pool; `table` names
    the warehouse table it writes, whose column schema (types, descriptions, constraints) the contract gives."""
    if table is not None:
        from ccp_assets.model.contract import column_schema_metadata

        kwargs["metadata"] = {**column_schema_metadata(table), **kwargs.get("metadata", {})}
    return asset(
        name=name,
        group_name=group,
        description=description,
        deps=list(deps),
        partitions_def=DAILY,
        backfill_policy=SINGLE_RUN,
        pool=WAREHOUSE_POOL,
        owners=OWNERS,
        kinds=kinds or {"duckdb"},
        **kwargs,
    )


def partition_days(context: DayContext) -> list[str]:
    """The day keys this step covers (one partition, or a whole backfill range in one run)."""
    return list(context.partition_keys)


def usable_days(context: DayContext, conn) -> tuple[list[str], dict[str, list[str]]]:  # noqa: ANN001
    """The step's days minus those whose latest drift check failed (in this run or an earlier one)."""
    from ccp_assets.checks.drift import blocked_days

    days = partition_days(context)
    blocked = blocked_days(conn, days)
    for day, why in blocked.items():
        context.log.warning(f"withheld {day}: {'; '.join(why)}")
    return [d for d in days if d not in blocked], blocked


def per_partition(context: DayContext, per_day: Mapping[str, Mapping[str, Any]], *,
                  shared: Mapping[str, Any] | None = None,
                  blocked: Mapping[str, list[str]] | None = None,
                  asset_key: AssetKey | None = None) -> MaterializeResult:
    """Give each partition of the step its own numbers; the result itself carries no metadata.

    Every asset runs a backfill range as one step (SINGLE_RUN) and Dagster records one materialization per
    partition key, copying a returned `MaterializeResult`'s metadata onto each of them: a run total returned
    there shows as every day's figure (issue 13: `estimated_usd` 40.70 on a day whose cost is 0.125). Metadata
    added per partition key is what each materialization carries instead. `shared` holds facts that are the
    same for every day (a price-table version, the tier), never a number summed over days; with `blocked`
    given, each day also says whether (and why) it was withheld. Inside a fat step (fat_step.py) `context` is
    one part's `AssetView`: the metadata goes to that part's asset, and the step yields its result. In a
    multi-asset step (assets/sources.py) `asset_key` names which of its assets the figures belong to.
    """
    target = {} if asset_key is None else {"asset_key": asset_key}
    for day in partition_days(context):
        meta = {**(shared or {}), **(per_day.get(day) or {})}
        if blocked is not None:
            meta["withheld"] = MetadataValue.json(list(blocked.get(day, [])))
        if meta:
            context.add_asset_metadata(meta, partition_key=day, **target)
    return MaterializeResult(**target)

