"""Codex CLI sessions as a `Source`: rollout lines land as raw_codex and become turns, session-days and
the rate-limit bars (sources/protocol.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from ccp_assets.settings import Settings
from ccp_assets.sources.codex.adapter import CodexSource
from ccp_assets.sources.protocol import DayMetadata, Source

if TYPE_CHECKING:
    import duckdb

    from ccp_assets.demo.sink import DemoRun


class Codex(CodexSource, Source):
    rows_source = agent = "codex"  # its rows' source, and ccusage's agent name (`ccp report codex ...`)
    calls = "own"
    tables = ("turns", "sessions", "meter_snapshots")
    checked_tables = ("turns", "sessions")
    # A day with a session_meta line must have that session's row. Not for turns: a day's usage lines can all be
    # a fork's replayed copy of an earlier day's turns, which rightly gives no row.
    expected_rows = {"sessions": "(line::JSON->>'$.type') = 'session_meta'"}
    # A turn always has its counts and its session; a session without any model in its turn_context lines keeps
    # model NULL (counted in quarantine as model_missing, as ccusage counts its tokens), so such rows leave the
    # history-derived not-null rule: a model-less day after days with models is not drift (measured: it failed).
    drift_rules = {"turns": {"not_null": ["tokens_in", "tokens_out", "session_id"],
                             "history_exempt": {"model": [None]},
                             "in_set": {"provider": ["openai"], "service_tier": ["standard", "fast"]}}}
    raw_description = (
        "Codex CLI rollout lines (sessions/**/*.jsonl and archived_sessions/**/*.jsonl under each CODEX_HOME, "
        "default ~/.codex) landed under the day of their timestamp in $CCP_HOME/landing/codex, with file, byte "
        "offset and line number. Only new bytes are read; landed data survives Codex deleting its files."
    )
    normalized_description = (
        "Codex turns as ccusage 20.0.24 counts them (one row per token_count line that adds tokens: "
        "last_token_usage, else the difference of cumulative totals; the model of the last turn_context; a turn "
        "copied into another file counted once) in `turns`, session-days in `sessions` (source = codex), and "
        "the 5-hour and weekly rate-limit bars as Codex capacity in `meter_snapshots` (ledger "
        "codex_rate_limits), replaced idempotently per day. Cached input is cache_read_tokens, reasoning stays "
        "inside tokens_out (kept in extras). Turns without any model keep model NULL and are counted in "
        "quarantine (model_missing); usage lines ccusage does not read, and unknown line types, are quarantined."
    )

    def normalize(self, conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
        from ccp_assets.sources.codex.normalize import normalize_days

        return normalize_days(conn, settings, days)

    def agent_report(self, conn: duckdb.DuckDBPyConnection, kind: str, since: date | None, until: date | None,
                     zone: str) -> dict[str, Any] | None:
        """`ccp report codex daily --json` prints ccusage's `codex daily --json` document (its own shape)."""
        if kind != "daily":
            return None
        from ccp_assets.sources.codex.pricing import daily_report

        return daily_report(conn, since, until, zone)

    def write_demo(self, run: DemoRun) -> dict[str, str]:
        from ccp_assets.sources.codex.demo import write_rollouts

        write_rollouts(run)
        return {"CODEX_HOME": str(run.out)}


SOURCE = Codex()
