"""AgentOS as a `Source`: tracker ledgers -> capacity windows and side ledgers (and old proxy samples)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ccp_assets.settings import Settings
from ccp_assets.sources.agentos.adapter import AgentOsSource
from ccp_assets.sources.protocol import DayMetadata, Source, rows_metadata

if TYPE_CHECKING:
    import duckdb


class AgentOs(AgentOsSource, Source):
    rows_source = "agentos"
    tables = ("windows", "glm_counts", "churn_records", "meter_snapshots", "codex_usage", "proxy_telemetry",
              "turns", "routing_decisions")
    checked_tables = ("windows",)
    expected_rows = {"windows": "file LIKE '%windows%.jsonl' AND (line::JSON->>'$.window') IS NOT NULL"}
    raw_description = (
        "AgentOS tracker ledgers under CCP_AGENTOS_DATA_DIR, at the root or in any subfolder (windows, "
        "glm_counts, churn, snapshots, codex_ccusage, proxy_telemetry, claude_monitor .jsonl, plus old-style "
        "proxy samples), landed under the day of finalized_at / captured_at in $CCP_HOME/landing/agentos. "
        "Whole-JSON captures (ccusage/, glm/, ccc/ usage files) are exported one line per version and land "
        "with them. Only new bytes are read."
    )
    normalized_description = (
        "AgentOS windows as `windows` rows (one per record and provider: capacity_raw/capacity_unit with the "
        "5-hour-delta rule and the weekly fallback named in errors, features, quality_score; the latest "
        "finalized_at per window is current, exact duplicates count once, superseded records stay as "
        "history), and the side ledgers `glm_counts`, `churn_records`, `meter_snapshots` (snapshots, "
        "claude_monitor, CCC usage), `codex_usage` (ccusage sessions/daily/weekly), `proxy_telemetry`, plus "
        "old-style proxy samples as `turns` (source agentos_proxy). A record with a wrong-typed field is "
        "quarantined naming the field; unknown fields are kept in `extras`."
    )

    def normalize(self, conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
        from ccp_assets.sources.agentos.normalize import normalize_day

        results = [normalize_day(conn, settings, day) for day in days]
        return [DayMetadata(r.day, rows_metadata(r, current_windows=r.windows_current, lines_by_ledger=r.ledgers))
                for r in results]


SOURCE = AgentOs()
