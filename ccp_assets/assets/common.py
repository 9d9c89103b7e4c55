"""What every asset of the daily graph shares: partitions, backfill policy, the warehouse pool, owners."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BetaWarning, PreviewWarning, asset

from ccp_assets.partitions import DAILY, SINGLE_RUN
from ccp_assets.warehouse.resource import WAREHOUSE_POOL

OWNERS = ["team:ccp-assets"]

# backfill_policy and pools are "beta" in Dagster 1.13; we rely on them on purpose, so say it once here.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)


def daily_asset(*, name: str, group: str, description: str, deps: Sequence[str | AssetKey] = (),
                kinds: set[str] | None = None, **kwargs: Any) -> Callable:
    """@asset with the daily partitions, a single-run backfill policy and the DuckDB write pool."""
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


def partition_days(context: AssetExecutionContext) -> list[str]:
    """The day keys this step covers (one partition, or a whole backfill range in one run)."""
    return list(context.partition_keys)


def usable_days(context: AssetExecutionContext, conn) -> tuple[list[str], dict[str, list[str]]]:  # noqa: ANN001
    """The step's days minus those whose latest drift check failed (in this run or an earlier one)."""
    from ccp_assets.checks.drift import blocked_days

    days = partition_days(context)
    blocked = blocked_days(conn, days)
    for day, why in blocked.items():
        context.log.warning(f"withheld {day}: {'; '.join(why)}")
    return [d for d in days if d not in blocked], blocked
