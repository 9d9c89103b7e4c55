"""The CCP routing proxy as a `Source`: usage logs and METRICS summaries -> turns, decisions, summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ccp_assets.settings import Settings
from ccp_assets.sources.ccp_proxy.adapter import CcpProxySource
from ccp_assets.sources.protocol import DayMetadata, Source

if TYPE_CHECKING:
    import duckdb


class CcpProxy(CcpProxySource, Source):
    rows_source = "ccp_proxy"
    calls = "proxy"
    tables = ("turns", "routing_decisions", "proxy_daily_summaries")
    checked_tables = ("turns", "routing_decisions")
    expected_rows = {"turns": "(line::JSON->>'$.event') IS NULL AND (line::JSON->>'$.model') IS NOT NULL",
                     "routing_decisions": "(line::JSON->>'$.event') = 'decision'"}
    raw_description = (
        "CCP routing-proxy usage lines (CCP_USAGE_LOG_DIR: usage*.jsonl at any depth; glued `{...}{...}` "
        "lines split, legacy ISO `ts` accepted) landed under the day of their `ts` in "
        "$CCP_HOME/landing/ccp_proxy with file, byte offset and line number. New versions of "
        "results/METRICS*.json summaries are exported as one line each and land with them (event day = "
        "the summary's date). Only new bytes are read; landed data survives the proxy rotating its logs."
    )
    normalized_description = (
        "CCP proxy completions and errors as `turns` rows (source = ccp_proxy: lane, upstream, model, "
        "provider, tokens, latency, ttft, op, status) and decisions as `routing_decisions` rows, correlated "
        "by `rid`; METRICS summaries as `proxy_daily_summaries` (backfill = the day has no raw log). "
        "Wrong JSON types are NULL and named in `type_drift`; unknown fields are kept in `extras`; "
        "replaced idempotently per day."
    )

    def normalize(self, conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
        from ccp_assets.sources.ccp_proxy.normalize import normalize_days

        return [DayMetadata(r.day, {
            "lines": r.lines,
            "rows": r.turns + r.decisions + r.summaries,
            "turns": r.turns,
            "completions": r.completions,
            "errors": r.errors,
            "decisions": r.decisions,
            "summaries": r.summaries,
            "backfill_days": r.backfill_days,
            "drifted_rows": r.drifted,
            "quarantined": r.quarantined,
            "skipped_lines": r.skipped,
        }) for r in normalize_days(conn, settings, list(days))]


SOURCE = CcpProxy()
