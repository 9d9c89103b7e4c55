"""The unified event model v1: the contract between every source and every metric.

These pydantic models are the single source of truth: `schemas/v1/*.json` are generated from them
(`ccp schemas write`), the warehouse tables are created from them (`warehouse/schema.py`), and any
payload the AgentOS v1 schemas accept must validate here too (we only add optional fields).
Rules: additive changes only within v1 (see schemas/README.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ccp_assets.privacy.tiers import PrivacyTier

SCHEMA_VERSION = "ccp.v1"

_DAY = "partition day in CCP_TIMEZONE"
_SOURCE = "source that recorded it"
_OFFSET = "provenance: byte offset of the line"
_LINE = "provenance: line number"

InputKind = Literal["text", "image", "other"]
FeatureStatus = Literal["proposed", "implemented", "shipped"]


class _Entity(BaseModel):
    """Unknown fields are kept (extra='allow'): a new upstream field must never fail a payload."""

    model_config = ConfigDict(extra="allow")


class Session(_Entity):
    """One coding session on one day (grain: session x day in the warehouse)."""

    session_id: str = Field(description="session id (Claude Code's sessionId, CCC's session id)")
    repo_id: str | None = Field(None, description="repository the session worked in")
    branch: str | None = Field(None, description="git branch of the session")
    commit: str | None = Field(None, description="commit at the tip of the branch at the session's last activity")
    license_id: str | None = Field(None, description="license in effect")
    privacy_tier: PrivacyTier | None = Field(None, description="privacy tier in effect")
    created_at: str | None = Field(None, description="ISO-8601 time of the first event")
    metadata: dict[str, Any] | None = Field(None, description="client-given metadata (JSON)")
    # ccp additions (all optional)
    source: str | None = Field(None, description="claude_code | ccp_proxy | ccc | codex")
    day: date | None = Field(None, description="partition day in CCP_TIMEZONE")
    transcript_id: str | None = Field(None, description="main-chain file stem (ccusage's session id)")
    project: str | None = Field(None, description="project folder name")
    cwd: str | None = Field(None, description="working directory of the session")
    version: str | None = Field(None, description="client version, e.g. Claude Code 2.1.39")
    first_ts: datetime | None = Field(None, description="first event time on the day")
    last_ts: datetime | None = Field(None, description="last event time on the day")
    user_prompts: int | None = Field(None, ge=0, description="user prompts on the day")
    turns: int | None = Field(None, ge=0, description="model calls on the day")
    subagents: int | None = Field(None, ge=0, description="subagents started on the day")
    models: list[str] | None = Field(None, description="models used on the day")
    ended_at: datetime | None = Field(None, description="session end as a client reported it (CCC session_end)")
    features_completed: int | None = Field(None, ge=0, description="features the client reported completed")
    interaction_minutes: float | None = Field(None, ge=0, description="human interaction minutes (IMPF)")
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0, description=_OFFSET)
    line_no: int | None = Field(None, ge=1, description=_LINE)


class Turn(_Entity):
    """One model API call (a deduplicated response), whichever source saw it."""

    turn_id: str = Field(description="turn id: message id + request id (Claude Code), the proxy line's id (proxy)")
    session_id: str | None = Field(None, description="session of the call")
    model: str | None = Field(None, description="model as the source recorded it")
    subagent: str | None = Field(None, description="subagent id; null on the main thread")
    tokens_in: int | None = Field(None, ge=0, description="gen_ai.usage.input_tokens (uncached input)")
    tokens_out: int | None = Field(None, ge=0, description="gen_ai.usage.output_tokens")
    input_kind: InputKind | None = Field(None, description="what the prompt carried: text | image | other")
    latency_ms: float | None = Field(None, ge=0, description="latency of the call, ms")
    attribution: dict[str, float] | None = Field(None, description="client-given attribution of the call (JSON)")
    capacity_used: float | None = Field(None, ge=0, description="capacity the client says the call used")
    # ccp additions (all optional)
    source: str | None = Field(None, description=_SOURCE)
    day: date | None = Field(None, description=_DAY)
    ts: datetime | None = Field(None, description="event time")
    provider: str | None = Field(None, description="anthropic | zai | openai | unknown")
    request_id: str | None = Field(None, description="upstream request id (Claude Code's requestId)")
    message_id: str | None = Field(None, description="API response message id")
    cache_creation_tokens: int | None = Field(None, ge=0, description="cache-write tokens (5m + 1h)")
    cache_creation_5m_tokens: int | None = Field(None, ge=0, description="5-minute cache-write tokens")
    cache_creation_1h_tokens: int | None = Field(None, ge=0, description="1-hour cache-write tokens")
    cache_read_tokens: int | None = Field(None, ge=0, description="cache-read tokens")
    service_tier: str | None = Field(None, description="API service tier")
    is_sidechain: bool | None = Field(None, description="recorded on a sidechain (subagent) line")
    embedded: bool | None = Field(None, description="kept record came from a parent's agent_progress line")
    is_api_error: bool | None = Field(None, description="the call failed")
    version: str | None = Field(None, description="client version")
    transcript_id: str | None = Field(None, description="transcript file stem (ccusage's session id)")
    lane: str | None = Field(None, description="proxy routing lane")
    upstream: str | None = Field(None, description="proxy upstream that answered")
    status: int | None = Field(None, description="HTTP status")
    op: str | None = Field(None, description="operation (gen_ai.operation.name)")
    ttft_ms: float | None = Field(None, ge=0, description="time to first token, ms")
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0, description="provenance: byte offset of the kept line")
    line_no: int | None = Field(None, ge=1, description=_LINE)
    type_drift: list[str] | None = Field(None, description="fields whose JSON type was not the expected one")
    rid: str | None = Field(None, description="CCP proxy correlation id of the flow")
    event: str | None = Field(None, description="proxy line kind: completion | error")
    err_type: str | None = Field(None, description="proxy error class: 401 | 429 | 5xx | 4xx | net | timeout")
    reason: str | None = Field(None, description="proxy completion reason: ok | streaming | routed | ...")
    stream_ms: float | None = Field(None, ge=0, description="streaming time, ms")
    retry: bool | None = Field(None, description="the call was a retry")
    wasted_retry_ms: float | None = Field(None, ge=0, description="time lost to failed attempts, ms")
    status_text: str | None = Field(None, description="the status as written when it was not a number ('ok')")
    decision: str | None = Field(None, description="routing decision of the same rid (proxy)")
    decision_reason: str | None = Field(None, description="why the proxy decided so")
    part: int | None = Field(None, ge=0, description="provenance: object index within a glued line")


class Feature(_Entity):
    """A feature of the product: its spec, its status and the tests that say whether it shipped."""

    feature_id: str = Field(description="feature id (the @id: tag, else the slugged title)")
    spec_ref: str = Field(description="path:line of the feature's spec")
    status: FeatureStatus = Field(description="proposed | implemented | shipped")
    notes: str | None = Field(None, description="free-text notes")
    title: str | None = Field(None, description="feature title")
    source: str | None = Field(None, description=_SOURCE)
    day: date | None = Field(None, description=_DAY)
    scenarios: int | None = Field(None, ge=0, description="BDD scenarios of the feature")
    scenarios_passed: int | None = Field(None, ge=0, description="of them passing")
    tests_passed: int | None = Field(None, ge=0, description="JUnit test cases of the feature that passed")
    tests_failed: int | None = Field(None, ge=0, description="JUnit test cases that failed")
    on_main: bool | None = Field(None, description="the feature file is on the main branch as tested")
    tags: list[str] | None = Field(None, description="tags of the feature")
    session_id: str | None = Field(None, description="session that reported it (CCC)")
    turn_id: str | None = Field(None, description="turn that reported it (CCC)")
    file: str | None = Field(None, description="provenance: source file")
    errors: list[str] | None = Field(None, description="what could not be determined")


class Measurement(_Entity):
    """A measured number (CLS, IMPF, churn score, feature delta) per day and scope (METRICS.md)."""

    cls: float | None = Field(None, description="Cognitive Load Score")
    impf: float | None = Field(None, ge=0, description="interaction minutes per feature")
    churn_score: float | None = Field(None, description="churn score (METRICS.md)")
    feature_delta: float | None = Field(None, description="change in shipped features")
    errors: list[str] | None = Field(None, description="why a number is missing")
    day: date | None = Field(None, description=_DAY)
    scope: str | None = Field(None, description="day | window:<id> | feature:<id>")
    source: str | None = Field(None, description=_SOURCE)
    session_id: str | None = Field(None, description="session it is about")
    turn_id: str | None = Field(None, description="turn it is about")
    feature_id: str | None = Field(None, description="feature it is about")
    file: str | None = Field(None, description="provenance: source file")


class Cost(_Entity):
    """A cost as a client reported it (its own estimate, not our price table), per turn or session."""

    provider: str = Field(description="provider charged")
    estimated_usd: float = Field(ge=0, description="estimated cost, USD")
    unit_costs: dict[str, float] | None = Field(None, description="unit prices used (JSON)")
    model: str | None = Field(None, description="model")
    day: date | None = Field(None, description=_DAY)
    price_version: str | None = Field(None, description="price table version")
    source: str | None = Field(None, description=_SOURCE)
    session_id: str | None = Field(None, description="session of the cost")
    turn_id: str | None = Field(None, description="turn of the cost")
    ts: datetime | None = Field(None, description="event time")
    file: str | None = Field(None, description="provenance: source file")


class Value(_Entity):
    """Value delivered: a summary with links to its evidence (tests passed, a merged PR, a fix)."""

    summary: str = Field(description="what value was delivered")
    links: list[str] | None = Field(None, description="links to the evidence")
    evidence_refs: list[str] | None = Field(None, description="references to the evidence")
    source: str | None = Field(None, description=_SOURCE)
    kind: str | None = Field(None, description="tests_passed | merged_pr | fix (repo); null for client-reported value")
    day: date | None = Field(None, description=_DAY)
    session_id: str | None = Field(None, description="session it came from")
    turn_id: str | None = Field(None, description="turn it came from")
    feature_id: str | None = Field(None, description="feature it is for")
    file: str | None = Field(None, description="provenance: source file")


class Decision(_Entity):
    """A routing decision of the CCP proxy (AgentOS calls it `decision`)."""

    reroute_mode: str | None = Field(None, description="hybrid | run2cap | preemptive")
    reroute_decision: str | None = Field(None, description="the reroute the proxy chose")
    preferred_attempt: int | None = Field(None, ge=0, description="attempt the proxy preferred")
    warn_pct_auto: float | None = Field(None, description="auto-tuned usage warning threshold, percent")
    warn_pct_confidence: float | None = Field(None, description="confidence of warn_pct_auto")
    gap_seconds_p50: float | None = Field(None, ge=0, description="median gap between requests, s")
    gap_seconds_p95: float | None = Field(None, ge=0, description="95th percentile gap between requests, s")
    gap_samples: float | None = Field(None, ge=0, description="gaps the percentiles are over")
    warn_pct_cfg: float | None = Field(None, description="configured usage warning threshold, percent")
    rid: str | None = Field(None, description="CCP proxy correlation id")
    ts: datetime | None = Field(None, description="decision time")
    day: date | None = Field(None, description=_DAY)
    lane: str | None = Field(None, description="routing lane")
    decision: str | None = Field(None, description="forced_model | failover_paused | pass_through")
    decision_reason: str | None = Field(None, description="why it decided so")
    headroom_pct_rolling: float | None = Field(None, description="rolling-window headroom, percent")
    headroom_pct_weekly: float | None = Field(None, description="weekly headroom, percent")
    cooldown_active: bool | None = Field(None, description="a cooldown was active")
    wasted_retry_ms: float | None = Field(None, ge=0, description="time lost to failed attempts, ms")
    source: str | None = Field(None, description="ccp_proxy | ccc")
    decision_id: str | None = Field(None, description="decision id (CCC)")
    model: str | None = Field(None, description="model asked for")
    upstream: str | None = Field(None, description="upstream chosen")
    status: int | None = Field(None, description="HTTP status")
    paused: bool | None = Field(None, description="failover was paused")
    cooldown_next_ts: datetime | None = Field(None, description="when the cooldown ends")
    rolling_used_tokens: int | None = Field(None, ge=0, description="tokens used in the rolling window")
    rolling_capacity_tokens: int | None = Field(None, ge=0, description="token capacity of the rolling window")
    weekly_used_tokens: int | None = Field(None, ge=0, description="tokens used this week")
    weekly_capacity_tokens: int | None = Field(None, ge=0, description="weekly token capacity")
    outcome_turn_id: str | None = Field(None, description="the proxy turn (same rid) that answered after it")
    session_id: str | None = Field(None, description="session of the decision")
    turn_id: str | None = Field(None, description="turn the decision belongs to (CCC)")
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0, description=_OFFSET)
    line_no: int | None = Field(None, ge=1, description=_LINE)
    type_drift: list[str] | None = Field(None, description="fields whose JSON type was not the expected one")


class Window(_Entity):
    """One AgentOS capacity window (superseded records stay as history)."""

    window: str = Field(description="AgentOS window id")
    finalized_at: datetime = Field(description="when the record was finalized (the latest one supersedes)")
    provider: str | None = Field(None, description="provider of the window")
    features: int | None = Field(None, ge=0, description="features completed in the window")
    capacity_raw: float | None = Field(None, description="capacity used as recorded")
    capacity_unit: str | None = Field(None, description="pp (usage-bar points) | prompts (GLM)")
    quality_score: float | None = Field(None, description="quality score used for E_q")
    superseded: bool | None = Field(None, description="a later record of the same window replaced it (kept as history)")
    day: date | None = Field(None, description=_DAY)
    errors: list[str] | None = Field(None, description="what could not be taken from the record")
    source: str | None = Field(None, description=_SOURCE)
    outcome: str | None = Field(None, description="outcome as recorded")
    notes: str | None = Field(None, description="free-text notes")
    quality_source: str | None = Field(None, description="quality_score | quality | default")
    capacity_5h_delta: float | None = Field(None, description="recorded 5-hour delta (fiveh_pct / session_pct)")
    capacity_weekly_delta: float | None = Field(None, description="recorded weekly delta (weekly_pct / all_models_pct)")
    before: dict[str, Any] | None = Field(None, description="usage bars before the window (JSON)")
    after: dict[str, Any] | None = Field(None, description="usage bars after the window (JSON)")
    delta: dict[str, Any] | None = Field(None, description="recorded change of the bars (JSON)")
    captured_before: datetime | None = Field(None, description="when the before bars were read")
    captured_after: datetime | None = Field(None, description="when the after bars were read")
    duplicate: bool | None = Field(None, description="an exact duplicate of an earlier record (counts once)")
    record_hash: str | None = Field(None, description="hash of the record (duplicates share it)")
    methodology: str | None = Field(None, description="how the tracker measured it")
    commit_range: str | None = Field(None, description="commit range of the window")
    schema_version: str | None = Field(None, description="the tracker's schema version")
    tool_version: str | None = Field(None, description="tracker version")
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0, description=_OFFSET)
    line_no: int | None = Field(None, ge=1, description=_LINE)


class Commit(_Entity):
    """One git commit of the team's repository, with its numstat (CCP_REPO_DIR)."""

    sha: str = Field(description="commit hash")
    day: date | None = Field(None, description=_DAY)
    ts: datetime | None = Field(None, description="committer time")
    author_ts: datetime | None = Field(None, description="author time")
    author_name: str | None = Field(None, description="author name")
    author_email: str | None = Field(None, description="author e-mail")
    subject: str | None = Field(None, description="first line of the message")
    parents: list[str] | None = Field(None, description="parent commit hashes")
    is_merge: bool | None = Field(None, description="more than one parent")
    on_main: bool | None = Field(None, description="reachable from main (or master) when it was landed")
    files_changed: int | None = Field(None, ge=0, description="files changed")
    insertions: int | None = Field(None, ge=0, description="lines inserted")
    deletions: int | None = Field(None, ge=0, description="lines deleted")
    files: list[dict[str, Any]] | None = Field(None, description="numstat: [{path, added, deleted}]")
    repo_id: str | None = Field(None, description="repository")
    source: str | None = Field(None, description=_SOURCE)
    file: str | None = Field(None, description="provenance: export file")
    byte_offset: int | None = Field(None, ge=0, description=_OFFSET)
    line_no: int | None = Field(None, ge=1, description=_LINE)


ENTITIES: dict[str, type[_Entity]] = {
    "session": Session,
    "turn": Turn,
    "feature": Feature,
    "measurement": Measurement,
    "cost": Cost,
    "value": Value,
    "decision": Decision,
    "window": Window,
    "commit": Commit,
}
