"""Daily partitions by event time in CCP_TIMEZONE; today is a partition too (it grows until midnight).

`DAILY` is built on first use (PEP 562 `__getattr__`), from one `load_settings()` read: importing this
module for `SINGLE_RUN` or `consecutive_chunks` reads no configuration, and schedules.py takes its zone
from `DAILY` instead of reading the environment a second time. A bad CCP_TIMEZONE is still the one-line
`ConfigError` of settings.py, raised where the code location first needs the partitions.

Where the partitions start is CCP_START_DATE. `make run` (scripts/run.sh, through `ccp first-run-env`)
sets it to `first_day_with_data` when the user has not: a first start then shows the days that have data,
not 1,063 empty days since the 2024-01-01 default (issue 15).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from dagster import BackfillPolicy, DailyPartitionsDefinition

if TYPE_CHECKING:
    from ccp_assets.settings import Settings

# One run for any range: without it a 30-day backfill becomes 30 runs fighting over one DuckDB file.
SINGLE_RUN = BackfillPolicy.single_run()
HEAD_BYTES = 256 << 10
"""Bytes read from the head of each source file by `first_day_with_data`: sources append in time order,
so a file's first timestamps are its earliest (a transcript's first line may be a summary without one)."""

_built: dict[str, DailyPartitionsDefinition] = {}


def daily_partitions(settings: Settings | None = None) -> DailyPartitionsDefinition:
    from ccp_assets.settings import load_settings

    s = settings or load_settings()
    return DailyPartitionsDefinition(start_date=s.start_date.isoformat(), timezone=s.timezone, end_offset=1)


def __getattr__(name: str) -> Any:
    if name == "DAILY":
        if "DAILY" not in _built:
            _built["DAILY"] = daily_partitions()
        return _built["DAILY"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def first_day_with_data(settings: Settings) -> date | None:
    """The earliest day (CCP_TIMEZONE) of any landed line or of any timestamp at the head of a source file.

    Cheap enough for a start script: landed days are folder names; each source file gives its first
    `HEAD_BYTES`. None when no source holds a dated line.
    """
    from zoneinfo import ZoneInfo

    from ccp_assets.sensors.ingest import days_in_bytes
    from ccp_assets.sources.landing import landed_days
    from ccp_assets.sources.registry import SOURCES

    tz = ZoneInfo(settings.timezone)
    days: set[str] = set()
    for adapter in SOURCES:
        days.update(landed_days(settings, adapter.name))
        if not adapter.enabled(settings):
            continue
        for path in adapter.files(settings):
            try:
                with open(path, "rb") as f:
                    days |= days_in_bytes(f.read(HEAD_BYTES), tz)
            except OSError:
                continue
    return date.fromisoformat(min(days)) if days else None


def consecutive_chunks(days: list[str], size: int) -> list[list[date]]:
    """Days sorted and cut into runs of consecutive days, at most `size` long: one SQL pass each."""
    chunks: list[list[date]] = []
    for d in sorted(date.fromisoformat(x) for x in days):
        if chunks and (d - chunks[-1][-1]).days == 1 and len(chunks[-1]) < size:
            chunks[-1].append(d)
        else:
            chunks.append([d])
    return chunks
