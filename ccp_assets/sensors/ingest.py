"""ingest_sensor: new bytes in any source file start a run for the days they belong to.

The sensor never opens the warehouse (a run may hold its write lock): it keeps each file's size in
its cursor, peeks at the new bytes only, and reads the days from their timestamps. A late line for
an old day therefore re-materializes that day, and `daily_summary` rewrites its ISO week.
"""

import hashlib
import json
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dagster import RunRequest, SensorEvaluationContext, SkipReason

from ccp_assets import run_guard
from ccp_assets.eventtime import parse_ts
from ccp_assets.jobs import DAILY_JOB_NAME
from ccp_assets.sensors import every_minute
from ccp_assets.settings import Settings
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.sources.registry import SOURCES

PEEK_LIMIT = 64 << 20  # bytes read per file per tick; beyond it the file's mtime day stands in
ISO_TS = re.compile(rb'"(?:timestamp|ts|finalized_at|captured_at)"\s*:\s*"(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)"')
EPOCH_TS = re.compile(rb'"ts"\s*:\s*(\d{9,13}(?:\.\d+)?)')


def _local_day(ts: datetime, tz: ZoneInfo) -> str:
    return ts.astimezone(tz).date().isoformat()


def days_in_bytes(data: bytes, tz: ZoneInfo) -> set[str]:
    """Event days mentioned by the timestamps in a chunk of JSONL (ISO or epoch seconds/ms, eventtime's rule)."""
    stamps = [parse_ts(m.group(1).decode()) for m in ISO_TS.finditer(data)]
    stamps += [parse_ts(float(m.group(1))) for m in EPOCH_TS.finditer(data)]
    return {_local_day(ts, tz) for ts in stamps if ts is not None}


def scan(settings: Settings, cursor: dict[str, int]) -> tuple[set[str], dict[str, int]]:
    """Days touched by bytes not seen at the cursor, and the new cursor (path -> size)."""
    tz = ZoneInfo(settings.timezone)
    touched: set[str] = set()
    new_cursor: dict[str, int] = {}
    for adapter in SOURCES:
        if not adapter.enabled(settings):
            continue
        for path in adapter.files(settings):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            key = str(path)
            new_cursor[key] = st.st_size
            start = cursor.get(key, 0)
            if st.st_size == start:
                continue
            if st.st_size < start:  # shrank or replaced: read it from the start
                start = 0
            with open(path, "rb") as f:
                f.seek(start)
                data = f.read(min(st.st_size - start, PEEK_LIMIT))
            found = days_in_bytes(data, tz) if path.suffix in (".jsonl", ".json") else set()
            touched |= found or {_local_day(datetime.fromtimestamp(st.st_mtime, UTC), tz)}
    return touched, new_cursor


@every_minute("ingest_sensor", job_name=DAILY_JOB_NAME, description=(
    "New source bytes → one run of every layer over the days they belong to (late lines included)."))
def ingest_sensor(context: SensorEvaluationContext, settings: SettingsResource):  # noqa: ANN201
    for line in run_guard.recover(context.instance):  # a killed run must not hold the warehouse pool
        context.log.warning(line)
    config = settings.get()
    cursor = json.loads(context.cursor) if context.cursor else {}
    touched, new_cursor = scan(config, cursor)
    context.update_cursor(json.dumps(new_cursor, sort_keys=True))
    touched = {d for d in touched if date.fromisoformat(d) >= config.start_date}
    if not touched:
        return SkipReason("no new source bytes")
    lo, hi = min(touched), max(touched)
    tags = {run_guard.LAUNCHED_BY_TAG: "ingest_sensor", **run_guard.host_tags(), **run_guard.range_tags(lo, hi)}
    digest = hashlib.sha1(json.dumps(new_cursor, sort_keys=True).encode()).hexdigest()[:16]
    return RunRequest(run_key=f"ingest:{digest}:{lo}:{hi}",
                      partition_key=lo if lo == hi else None, tags=tags)
