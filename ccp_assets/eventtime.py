"""Event time from a JSON value, one rule for the whole product: ISO-8601 text (Z or an offset; naive
means UTC) or epoch seconds, or epoch milliseconds above EPOCH_MS_ABOVE (1e11 s is the year 5138, 1e11 ms
is 1973: no real value is ambiguous). The ledgers' normalizers and the ingest sensor both read days
with it, so the sensor never starts a run for a day the normalizer would put a line elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

EPOCH_MS_ABOVE = 1e11


def parse_ts(v: Any) -> datetime | None:
    """ISO-8601 text (Z or offset; naive = UTC) or epoch seconds/milliseconds; None when not a time."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        try:
            return datetime.fromtimestamp(v / (1000 if v > EPOCH_MS_ABOVE else 1), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(v, str):
        try:
            t = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return t if t.tzinfo else t.replace(tzinfo=UTC)
    return None
