"""The CCC client as a `Source`: its event log -> sessions, turns, features, measurements, costs, values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ccp_assets.settings import Settings
from ccp_assets.sources.ccc.adapter import CccEventsSource
from ccp_assets.sources.protocol import DayMetadata, Source, rows_metadata

if TYPE_CHECKING:
    import duckdb


class Ccc(CccEventsSource, Source):
    rows_source = "ccc"
    tables = ("turns", "sessions", "features", "measurements", "reported_costs", "value_records",
              "routing_decisions")
    checked_tables = ("turns", "sessions")
    expected_rows = {"turns": "(line::JSON->>'$.type') = 'turn'", "sessions": "(line::JSON->>'$.type') = 'session'"}
    raw_description = (
        "The CCC client's unified event log (ccc_events*.jsonl under CCP_AGENTOS_DATA_DIR, any depth: "
        "session / turn / session_end lines with v1 payloads) landed under the day of each line's time in "
        "$CCP_HOME/landing/ccc_events, with file, byte offset and line number. Only new bytes are read."
    )
    normalized_description = (
        "CCC event-log payloads as v1 rows with source = ccc: `turns` (wrong types NULL + type_drift), "
        "`sessions` (session-days with session_end facts), `features`, `measurements` (scope turn:<id>), "
        "`reported_costs` (the client's own estimate), `value_records` and `routing_decisions`. A feature, "
        "measurement, cost or value payload with a wrong-typed or missing required field is quarantined "
        "naming the field; unknown line types are counted and skipped; unknown fields kept in `extras`."
    )

    def normalize(self, conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
        from ccp_assets.sources.ccc.normalize import normalize_day

        results = [normalize_day(conn, settings, day) for day in days]
        return [DayMetadata(r.day, rows_metadata(r, drifted_turns=r.drifted, unknown_line_types=r.unknown_types))
                for r in results]


SOURCE = Ccc()
