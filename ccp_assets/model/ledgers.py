"""Source ledgers that are not v1 entities (AgentOS side ledgers, proxy daily summaries) and the unified
turns. Every ledger row keeps unknown upstream fields in `extras` and its provenance (file, byte_offset,
line_no), as the v1 entity tables do."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ccp_assets.model.fields import Row, col

_WINDOW = "AgentOS window id the record belongs to"
_CAPTURED = "when the tracker captured it"
_PARSE_ERRORS = "what the tracker could not parse in its capture"
_SUPERSEDED = "a later capture of the same key replaced this one (kept as history)"
_ORIGIN = "where it came from: the record's own `source` field, or the kind of document (e.g. ccusage_doc)"
_SOURCE = "source that landed the row"
_FILE = "provenance: source file"
_OFFSET = "provenance: byte offset of the line"
_LINE = "provenance: line number"
_EXTRAS = "unknown upstream fields of the record, kept whole"


class GlmCount(Row):
    """One AgentOS `glm_counts.jsonl` record: GLM subscription prompts used (the GLM capacity unit)."""

    window: str | None = col(_WINDOW)
    provider: str | None = col("provider of the count (zai)")
    day: date | None = col("partition day of captured_at")
    captured_at: datetime | None = col(_CAPTURED)
    prompts_used: float | None = col("GLM prompts used: capacity on the day of captured_at", ge=0)
    account: str | None = col("GLM account the count is for")
    generated_at: datetime | None = col("when the GLM usage page generated the numbers")
    blocks: Any = col("the usage page's blocks as parsed (JSON)")
    parse_errors: list[str] | None = col(_PARSE_ERRORS)
    notes: str | None = col("free-text notes of the record")
    origin: str | None = col(_ORIGIN)
    superseded: bool | None = col(_SUPERSEDED)
    source: str | None = col(_SOURCE)
    file: str | None = col(_FILE)
    byte_offset: int | None = col(_OFFSET, ge=0)
    line_no: int | None = col(_LINE, ge=1)
    extras: Any = col(_EXTRAS)


class ChurnRecord(Row):
    """One AgentOS `churn.jsonl` record: git churn of a window's commit range as the tracker measured it."""

    window: str | None = col(_WINDOW)
    provider: str | None = col("provider whose window it is")
    day: date | None = col("partition day")
    captured_at: datetime | None = col(_CAPTURED)
    methodology: str | None = col("how the tracker measured the churn")
    commit_start: str | None = col("first commit of the range")
    commit_end: str | None = col("last commit of the range")
    files_changed: int | None = col("files changed in the range", ge=0)
    insertions: int | None = col("lines inserted", ge=0)
    deletions: int | None = col("lines deleted", ge=0)
    net: int | None = col("net lines (insertions - deletions)")
    features: float | None = col("features of the window", ge=0)
    normalized_churn: float | None = col("net lines / features, as the tracker records it")
    notes: str | None = col("free-text notes of the record")
    superseded: bool | None = col(_SUPERSEDED)
    schema_version: str | None = col("the tracker's schema version of the record")
    tool_version: str | None = col("version of the tracker that wrote it")
    source: str | None = col(_SOURCE)
    file: str | None = col(_FILE)
    byte_offset: int | None = col(_OFFSET, ge=0)
    line_no: int | None = col(_LINE, ge=1)
    extras: Any = col(_EXTRAS)


class MeterSnapshot(Row):
    """One usage-bar reading (AgentOS `snapshots.jsonl` or `claude_monitor.jsonl`) before or after a window."""

    ledger: str | None = col("ledger it came from: snapshots | claude_monitor")
    window: str | None = col(_WINDOW)
    provider: str | None = col("provider whose bar was read")
    model: str | None = col("model the reading is for, when the screen names one")
    phase: str | None = col("before | after the window (as recorded)")
    day: date | None = col("partition day")
    captured_at: datetime | None = col(_CAPTURED)
    fiveh_pct: float | None = col("Codex 5-hour bar, percent used")
    weekly_pct: float | None = col("weekly bar, percent used")
    session_pct: float | None = col("Claude session (5-hour) bar, percent used")
    all_models_pct: float | None = col("Claude weekly all-models bar, percent used")
    opus_pct: float | None = col("Claude weekly Opus bar, percent used")
    rolling_pct: float | None = col("rolling-window bar, percent used")
    token_usage_pct: float | None = col("claude-monitor token usage, percent of the limit")
    tokens_used: int | None = col("claude-monitor tokens used", ge=0)
    token_limit: int | None = col("claude-monitor token limit", ge=0)
    message_count: int | None = col("claude-monitor messages", ge=0)
    burn_rate_per_min: float | None = col("claude-monitor burn rate, tokens per minute")
    reqs: int | None = col("requests counted by the reading", ge=0)
    parsed: Any = col("the tracker's parsed reading (JSON)")
    parse_errors: list[str] | None = col(_PARSE_ERRORS)
    notes: str | None = col("free-text notes of the record")
    origin: str | None = col(_ORIGIN)
    raw_text: str | None = col("the captured screen text")
    source: str | None = col(_SOURCE)
    file: str | None = col(_FILE)
    byte_offset: int | None = col(_OFFSET, ge=0)
    line_no: int | None = col(_LINE, ge=1)
    extras: Any = col(_EXTRAS)


class CodexUsage(Row):
    """ccusage's Codex report as the tracker captured it (`codex_ccusage.jsonl`): one row per session, day or
    week of the capture."""

    window: str | None = col(_WINDOW)
    scope: str | None = col("report kind: session | daily | weekly (or what the capture said)")
    period: str | None = col("the session id, day or week start the row is for")
    day: date | None = col("partition day")
    captured_at: datetime | None = col(_CAPTURED)
    last_activity: datetime | None = col("last activity of the session (session scope)")
    input_tokens: int | None = col("input tokens", ge=0)
    cached_input_tokens: int | None = col("cached input tokens", ge=0)
    output_tokens: int | None = col("output tokens", ge=0)
    reasoning_output_tokens: int | None = col("reasoning output tokens", ge=0)
    total_tokens: int | None = col("total tokens", ge=0)
    cost_usd: float | None = col("cost in USD as ccusage computed it", ge=0)
    percent_used: float | None = col("percent of the Codex limit used")
    models: Any = col("per-model detail (JSON)")
    parse_errors: list[str] | None = col(_PARSE_ERRORS)
    superseded: bool | None = col(_SUPERSEDED)
    origin: str | None = col("where the row came from: ledger (codex_ccusage.jsonl) | ccusage_doc (a document)")
    source: str | None = col(_SOURCE)
    file: str | None = col(_FILE)
    byte_offset: int | None = col(_OFFSET, ge=0)
    line_no: int | None = col(_LINE, ge=1)
    extras: Any = col(_EXTRAS)


class ProxyTelemetry(Row):
    """One AgentOS `proxy_telemetry.jsonl` record: the proxy's counts and latencies over a window."""

    window: str | None = col(_WINDOW)
    provider: str | None = col("provider of the record")
    day: date | None = col("partition day")
    captured_at: datetime | None = col(_CAPTURED)
    total: int | None = col("requests in the window", ge=0)
    routed_to_glm_pct: float | None = col("percent of requests routed to GLM")
    latency_p50_ms: float | None = col("median latency, ms", ge=0)
    latency_p95_ms: float | None = col("95th percentile latency, ms", ge=0)
    error_rate_pct: float | None = col("percent of requests that failed")
    sample_lines: int | None = col("non-empty lines of the captured sample", ge=0)
    parse_errors: list[str] | None = col(_PARSE_ERRORS)
    notes: str | None = col("free-text notes of the record")
    source: str | None = col(_SOURCE)
    file: str | None = col(_FILE)
    byte_offset: int | None = col(_OFFSET, ge=0)
    line_no: int | None = col(_LINE, ge=1)
    extras: Any = col(_EXTRAS)


class ProxyDailySummary(Row):
    """One CCP proxy METRICS daily summary document (one per day and export)."""

    day: date | None = col("the day the summary is for (its `date`, else the file's day)")
    schema_: str | None = col("the summary's own schema name", alias="schema")
    generated_at: datetime | None = col("when the proxy generated it")
    total_requests: int | None = col("requests of the day", ge=0)
    by_lane: Any = col("per routing lane: count, errors, tokens, p50_ms, p95_ms (JSON)")
    by_model: Any = col("per model counts (JSON)")
    decisions: Any = col("routing decisions by kind (JSON)")
    errors_by_type: Any = col("errors by class (JSON)")
    backfill: bool | None = col("true when no raw proxy log covers the day (the summary is the only evidence)")
    source: str | None = col(_SOURCE)
    file: str | None = col(_FILE)
    sha1: str | None = col("SHA-1 of the document as exported")
    extras: Any = col(_EXTRAS)


class UnifiedTurn(Row):
    """One answered model call across sources: a Claude Code turn joined with the proxy call that answered it,
    or a proxy-only call."""

    turn_id: str | None = col("the Claude Code turn id, else the proxy turn id")
    day: date | None = col("partition day")
    ts: datetime | None = col("event time")
    sources: list[str] | None = col("sources that saw the call: claude_code, ccp_proxy")
    match_rule: str | None = col("how the pair was matched: request_id | time_window (null: unmatched)")
    match_delta_s: float | None = col("seconds between the two sides of a time-window match")
    session_id: str | None = col("session of the call")
    subagent: str | None = col("subagent id; null on the main thread")
    model: str | None = col("model as the transcript (else the proxy) named it")
    routed_model: str | None = col("model that really answered (the proxy's, when it routed the call)")
    provider: str | None = col("provider that really answered")
    lane: str | None = col("proxy routing lane")
    upstream: str | None = col("proxy upstream that answered")
    rid: str | None = col("CCP proxy correlation id")
    request_id: str | None = col("upstream request id")
    decision: str | None = col("routing decision of the same rid")
    decision_reason: str | None = col("why the proxy decided so")
    tokens_in: int | None = col("uncached input tokens (transcript)", ge=0)
    tokens_out: int | None = col("output tokens (transcript)", ge=0)
    cache_creation_tokens: int | None = col("cache-write tokens", ge=0)
    cache_creation_5m_tokens: int | None = col("5-minute cache-write tokens", ge=0)
    cache_creation_1h_tokens: int | None = col("1-hour cache-write tokens", ge=0)
    cache_read_tokens: int | None = col("cache-read tokens", ge=0)
    proxy_tokens_in: int | None = col("input tokens as the proxy counted them", ge=0)
    proxy_tokens_out: int | None = col("output tokens as the proxy counted them", ge=0)
    latency_ms: float | None = col("latency of the call, ms (the proxy's when it saw it)", ge=0)
    ttft_ms: float | None = col("time to first token, ms (proxy)", ge=0)
    status: int | None = col("HTTP status the proxy recorded")
    claude_code_turn_id: str | None = col("turn_id of the Claude Code side (null: proxy-only call)")
    proxy_turn_id: str | None = col("turn_id of the proxy side (null: no proxy saw it)")
    extras: Any = col(_EXTRAS)
