"""Daily partitions by event time in CCP_TIMEZONE; today is a partition too (it grows until midnight)."""

from __future__ import annotations

from dagster import BackfillPolicy, DailyPartitionsDefinition

from ccp_assets.settings import Settings, load_settings


def daily_partitions(settings: Settings | None = None) -> DailyPartitionsDefinition:
    s = settings or load_settings()
    return DailyPartitionsDefinition(start_date=s.start_date.isoformat(), timezone=s.timezone, end_offset=1)


DAILY = daily_partitions()
# One run for any range: without it a 30-day backfill becomes 30 runs fighting over one DuckDB file.
SINGLE_RUN = BackfillPolicy.single_run()
