"""How every measurement asset runs its days: skip drift-blocked days, one transaction per day."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from ccp_assets.assets.common import usable_days
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse
from ccp_assets.warehouse.tx import transaction

DayFn = Callable[[duckdb.DuckDBPyConnection, str], Any]


def run_days(context: AssetView, warehouse: SharedWarehouse, fn: DayFn) -> tuple[dict[str, Any], dict]:
    """{day: fn(conn, day)} over the step's usable days (each in its own transaction), and the withheld days."""
    out: dict[str, Any] = {}
    with warehouse.connect() as conn:
        days, blocked = usable_days(context, conn)
        for day in days:
            with transaction(conn):
                out[day] = fn(conn, day)
    return out, blocked

