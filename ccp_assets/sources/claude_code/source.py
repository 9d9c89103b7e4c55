"""Claude Code as a `Source`: transcripts land as raw_claude_code and become turns and session-days."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ccp_assets.settings import Settings
from ccp_assets.sources.claude_code.adapter import ClaudeCodeSource
from ccp_assets.sources.protocol import DayMetadata, Source

if TYPE_CHECKING:
    import duckdb


class ClaudeCode(ClaudeCodeSource, Source):
    rows_source = "claude_code"
    agent = "claude"
    calls = "transcript"
    tables = ("turns", "sessions")
    checked_tables = ("turns", "sessions")
    expected_rows = {"turns": "(line::JSON->>'$.type') = 'assistant'",
                     "sessions": "(line::JSON->>'$.sessionId') IS NOT NULL"}
    raw_description = (
        "Claude Code transcript lines (main chains and subagents under CLAUDE_CONFIG_DIR/projects) landed "
        "under the day of their timestamp in $CCP_HOME/landing/claude_code, with file, byte offset and line "
        "number. Only new bytes are read; landed data survives the source deleting its files."
    )
    normalized_description = (
        "Claude Code turns (one row per API response, deduplicated by message id + request id as ccusage "
        "does) and session-days in the warehouse tables `turns` and `sessions` (source = claude_code), "
        "replaced idempotently per day. Lines of unknown type, and usage lines ccusage skips, are counted "
        "and quarantined."
    )

    def normalize(self, conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
        from ccp_assets.sources.claude_code.normalize import normalize_days

        return [DayMetadata(r.day, {
            "lines": r.lines,
            "turns": r.turns,
            "sessions": r.sessions,
            "duplicate_lines_dropped": r.duplicates_dropped,
            "synthetic_messages": r.synthetic,
            "api_error_messages": r.api_errors,
            "drifted_turns": r.drifted_turns,
            "skipped_usage_lines": r.skipped,
            "unknown_line_types": r.unknown_types,
            "client_versions": sorted(r.versions),
        }) for r in normalize_days(conn, settings, list(days))]


SOURCE = ClaudeCode()
