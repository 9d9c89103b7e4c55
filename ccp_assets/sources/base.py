"""One interface for every raw source: where its files are and how to read an event time from a line.

Landing (sources/landing.py) is the same for every JSONL source; what differs per source is here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ccp_assets.settings import Settings


class SourceAdapter(Protocol):
    """A raw JSONL source: files to scan and the DuckDB expression giving each line's event time."""

    name: str

    def files(self, settings: Settings) -> list[Path]:
        """Every file of the source that exists now (sorted, absolute)."""
        ...

    def enabled(self, settings: Settings) -> bool:
        """False when the source is not configured (its assets then materialize empty, and say so)."""
        ...

    @property
    def event_time_sql(self) -> str:
        """DuckDB expression over the JSON column `j` returning TIMESTAMPTZ (NULL when absent)."""
        ...


ISO_OR_EPOCH_TS = """CASE
    WHEN json_type(j, '$.{f}') IN ('UBIGINT', 'BIGINT', 'DOUBLE')
        THEN to_timestamp(CAST(j->>'$.{f}' AS DOUBLE) / CASE WHEN CAST(j->>'$.{f}' AS DOUBLE) > 1e11 THEN 1000 ELSE 1 END)
    ELSE TRY_CAST(j->>'$.{f}' AS TIMESTAMPTZ) END"""


def iso_or_epoch(field: str) -> str:
    """Event time from a field that may hold ISO-8601 text, epoch seconds or epoch milliseconds."""
    return ISO_OR_EPOCH_TS.format(f=field)
