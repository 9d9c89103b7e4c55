"""Daily partitions by event time in CCP_TIMEZONE; today is a partition too (it grows until midnight)."""

from __future__ import annotations

from datetime import date

from dagster import BackfillPolicy, DailyPartitionsDefinition

from ccp_assets.settings import Settings, load_settings


def daily_partitions(settings: Settings | None = None) -> DailyPartitionsDefinition:
    s = settings or load_settings()
    return DailyPartitionsDefinition(start_date=s.start_date.isoformat(), timezone=s.timezone, end_offset=1)


DAILY = daily_partitions()
# One run for any range: without it a 30-day backfill becomes 30 runs fighting over one DuckDB file.
SINGLE_RUN = BackfillPolicy.single_run()


def consecutive_chunks(days: list[str], size: int) -> list[list[date]]:
    """Days sorted and cut into runs of consecutive days, at most `size` long: one SQL pass each."""
    chunks: list[list[date]] = []
    for d in sorted(date.fromisoformat(x) for x in days):
        if chunks and (d - chunks[-1][-1]).days == 1 and len(chunks[-1]) < size:
            chunks[-1].append(d)
        else:
            chunks.append([d])
    return chunks
