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

SCHEMA_VERSION = "ccp.v1"

PrivacyTier = Literal["local", "minimized", "full"]
InputKind = Literal["text", "image", "other"]
FeatureStatus = Literal["proposed", "implemented", "shipped"]


class _Entity(BaseModel):
    """Unknown fields are kept (extra='allow'): a new upstream field must never fail a payload."""

    model_config = ConfigDict(extra="allow")


class Session(_Entity):
    """One coding session on one day (grain: session x day in the warehouse)."""

    session_id: str
    repo_id: str | None = None
    branch: str | None = None
    commit: str | None = None
    license_id: str | None = None
    privacy_tier: PrivacyTier | None = None
    created_at: str | None = Field(None, description="ISO-8601 time of the first event")
    metadata: dict[str, Any] | None = None
    # ccp additions (all optional)
    source: str | None = Field(None, description="claude_code | ccp_proxy | ccc | codex")
    day: date | None = Field(None, description="partition day in CCP_TIMEZONE")
    transcript_id: str | None = Field(None, description="main-chain file stem (ccusage's session id)")
    project: str | None = None
    cwd: str | None = None
    version: str | None = Field(None, description="client version, e.g. Claude Code 2.1.39")
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    user_prompts: int | None = Field(None, ge=0)
    turns: int | None = Field(None, ge=0)
    subagents: int | None = Field(None, ge=0)
    models: list[str] | None = None
    ended_at: datetime | None = Field(None, description="session end as a client reported it (CCC session_end)")
    features_completed: int | None = Field(None, ge=0)
    interaction_minutes: float | None = Field(None, ge=0)
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0)
    line_no: int | None = Field(None, ge=1)


class Turn(_Entity):
    """One model API call (a deduplicated response), whichever source saw it."""

    turn_id: str
    session_id: str | None = None
    model: str | None = None
    subagent: str | None = Field(None, description="subagent id; null on the main thread")
    tokens_in: int | None = Field(None, ge=0, description="gen_ai.usage.input_tokens (uncached input)")
    tokens_out: int | None = Field(None, ge=0, description="gen_ai.usage.output_tokens")
    input_kind: InputKind | None = None
    latency_ms: float | None = Field(None, ge=0)
    attribution: dict[str, float] | None = None
    capacity_used: float | None = Field(None, ge=0)
    # ccp additions (all optional)
    source: str | None = None
    day: date | None = None
    ts: datetime | None = None
    provider: str | None = Field(None, description="anthropic | zai | openai | unknown")
    request_id: str | None = None
    message_id: str | None = None
    cache_creation_tokens: int | None = Field(None, ge=0)
    cache_creation_5m_tokens: int | None = Field(None, ge=0)
    cache_creation_1h_tokens: int | None = Field(None, ge=0)
    cache_read_tokens: int | None = Field(None, ge=0)
    service_tier: str | None = None
    is_sidechain: bool | None = None
    embedded: bool | None = Field(None, description="kept record came from a parent's agent_progress line")
    is_api_error: bool | None = None
    version: str | None = None
    transcript_id: str | None = None
    lane: str | None = None
    upstream: str | None = None
    status: int | None = None
    op: str | None = None
    ttft_ms: float | None = Field(None, ge=0)
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0, description="provenance: byte offset of the kept line")
    line_no: int | None = Field(None, ge=1)
    type_drift: list[str] | None = Field(None, description="fields whose JSON type was not the expected one")
    rid: str | None = Field(None, description="CCP proxy correlation id of the flow")
    event: str | None = Field(None, description="proxy line kind: completion | error")
    err_type: str | None = Field(None, description="proxy error class: 401 | 429 | 5xx | 4xx | net | timeout")
    reason: str | None = Field(None, description="proxy completion reason: ok | streaming | routed | ...")
    stream_ms: float | None = Field(None, ge=0)
    retry: bool | None = None
    wasted_retry_ms: float | None = Field(None, ge=0)
    status_text: str | None = Field(None, description="the status as written when it was not a number ('ok')")
    decision: str | None = Field(None, description="routing decision of the same rid (proxy)")
    decision_reason: str | None = None
    part: int | None = Field(None, ge=0, description="provenance: object index within a glued line")


class Feature(_Entity):
    feature_id: str
    spec_ref: str
    status: FeatureStatus
    notes: str | None = None
    title: str | None = None
    source: str | None = None
    day: date | None = None
    scenarios: int | None = Field(None, ge=0)
    scenarios_passed: int | None = Field(None, ge=0)
    tests_passed: int | None = Field(None, ge=0, description="JUnit test cases of the feature that passed")
    tests_failed: int | None = Field(None, ge=0)
    on_main: bool | None = Field(None, description="the feature file is on the main branch as tested")
    tags: list[str] | None = None
    session_id: str | None = None
    turn_id: str | None = None
    file: str | None = Field(None, description="provenance: source file")
    errors: list[str] | None = None


class Measurement(_Entity):
    cls: float | None = None
    impf: float | None = Field(None, ge=0)
    churn_score: float | None = None
    feature_delta: float | None = None
    errors: list[str] | None = None
    day: date | None = None
    scope: str | None = Field(None, description="day | window:<id> | feature:<id>")
    source: str | None = None
    session_id: str | None = None
    turn_id: str | None = None
    feature_id: str | None = None
    file: str | None = Field(None, description="provenance: source file")


class Cost(_Entity):
    provider: str
    estimated_usd: float = Field(ge=0)
    unit_costs: dict[str, float] | None = None
    model: str | None = None
    day: date | None = None
    price_version: str | None = None
    source: str | None = None
    session_id: str | None = None
    turn_id: str | None = None
    ts: datetime | None = None
    file: str | None = Field(None, description="provenance: source file")


class Value(_Entity):
    summary: str
    links: list[str] | None = None
    evidence_refs: list[str] | None = None
    source: str | None = None
    kind: str | None = Field(None, description="tests_passed | merged_pr | fix (repo); null for client-reported value")
    day: date | None = None
    session_id: str | None = None
    turn_id: str | None = None
    feature_id: str | None = None
    file: str | None = Field(None, description="provenance: source file")


class Decision(_Entity):
    """A routing decision of the CCP proxy (AgentOS calls it `decision`)."""

    reroute_mode: str | None = None
    reroute_decision: str | None = None
    preferred_attempt: int | None = Field(None, ge=0)
    warn_pct_auto: float | None = None
    warn_pct_confidence: float | None = None
    gap_seconds_p50: float | None = Field(None, ge=0)
    gap_seconds_p95: float | None = Field(None, ge=0)
    gap_samples: float | None = Field(None, ge=0)
    warn_pct_cfg: float | None = None
    rid: str | None = None
    ts: datetime | None = None
    day: date | None = None
    lane: str | None = None
    decision: str | None = None
    decision_reason: str | None = None
    headroom_pct_rolling: float | None = None
    headroom_pct_weekly: float | None = None
    cooldown_active: bool | None = None
    wasted_retry_ms: float | None = Field(None, ge=0)
    source: str | None = Field(None, description="ccp_proxy | ccc")
    decision_id: str | None = None
    model: str | None = None
    upstream: str | None = None
    status: int | None = None
    paused: bool | None = None
    cooldown_next_ts: datetime | None = None
    rolling_used_tokens: int | None = Field(None, ge=0)
    rolling_capacity_tokens: int | None = Field(None, ge=0)
    weekly_used_tokens: int | None = Field(None, ge=0)
    weekly_capacity_tokens: int | None = Field(None, ge=0)
    outcome_turn_id: str | None = Field(None, description="the proxy turn (same rid) that answered after it")
    session_id: str | None = None
    turn_id: str | None = None
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0)
    line_no: int | None = Field(None, ge=1)
    type_drift: list[str] | None = None


class Window(_Entity):
    """One AgentOS capacity window (superseded records stay as history)."""

    window: str
    finalized_at: datetime
    provider: str | None = None
    features: int | None = Field(None, ge=0)
    capacity_raw: float | None = None
    capacity_unit: str | None = None
    quality_score: float | None = None
    superseded: bool | None = None
    day: date | None = None
    errors: list[str] | None = None
    source: str | None = None
    outcome: str | None = None
    notes: str | None = None
    quality_source: str | None = Field(None, description="quality_score | quality | default")
    capacity_5h_delta: float | None = Field(None, description="recorded 5-hour delta (fiveh_pct / session_pct)")
    capacity_weekly_delta: float | None = Field(None, description="recorded weekly delta (weekly_pct / all_models_pct)")
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    delta: dict[str, Any] | None = None
    captured_before: datetime | None = None
    captured_after: datetime | None = None
    duplicate: bool | None = Field(None, description="an exact duplicate of an earlier record (counts once)")
    record_hash: str | None = None
    methodology: str | None = None
    commit_range: str | None = None
    schema_version: str | None = None
    tool_version: str | None = None
    file: str | None = Field(None, description="provenance: source file")
    byte_offset: int | None = Field(None, ge=0)
    line_no: int | None = Field(None, ge=1)


class Commit(_Entity):
    """One git commit of the team's repository, with its numstat (CCP_REPO_DIR)."""

    sha: str
    day: date | None = None
    ts: datetime | None = Field(None, description="committer time")
    author_ts: datetime | None = None
    author_name: str | None = None
    author_email: str | None = None
    subject: str | None = None
    parents: list[str] | None = None
    is_merge: bool | None = None
    on_main: bool | None = Field(None, description="reachable from main (or master) when it was landed")
    files_changed: int | None = Field(None, ge=0)
    insertions: int | None = Field(None, ge=0)
    deletions: int | None = Field(None, ge=0)
    files: list[dict[str, Any]] | None = Field(None, description="numstat: [{path, added, deleted}]")
    repo_id: str | None = None
    source: str | None = None
    file: str | None = Field(None, description="provenance: export file")
    byte_offset: int | None = Field(None, ge=0)
    line_no: int | None = Field(None, ge=1)


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
