"""Measurement tables (docs/METRICS.md), one row per day and scope, written by the `measurements` assets.
A number that could not be computed is NULL with its reason in `errors`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ccp_assets.model.fields import Row, col

_DAY = "partition day"
_ERRORS = "why a number is missing or how it was derived instead (METRICS.md)"
_BASIS = "subscription_prompts (GLM plan calls priced per prompt) | api_tokens (priced per token)"
Basis = Literal["subscription_prompts", "api_tokens"]


class _Priced(Row):
    """The token kinds and USD parts shared by priced_turns and usage_model_daily."""

    input_tokens: int | None = col("uncached input tokens", ge=0)
    output_tokens: int | None = col("output tokens", ge=0)
    cache_creation_5m_tokens: int | None = col("5-minute cache-write tokens", ge=0)
    cache_creation_1h_tokens: int | None = col("1-hour cache-write tokens", ge=0)
    cache_read_tokens: int | None = col("cache-read tokens", ge=0)
    prompts: int | None = col("subscription prompts (GLM plan calls)", ge=0)
    input_usd: float | None = col("USD for input tokens", ge=0)
    output_usd: float | None = col("USD for output tokens", ge=0)
    cache_write_usd: float | None = col("USD for cache writes (5m and 1h)", ge=0)
    cache_read_usd: float | None = col("USD for cache reads", ge=0)
    prompt_usd: float | None = col("USD for subscription prompts (plan price / prompt cap each)", ge=0)
    estimated_usd: float | None = col("estimated USD in total", ge=0)
    priced: bool | None = col("false when the model had no price (it then costs 0 and is named in errors)")
    price_version: str | None = col("version of the price (or plan) table used")
    plan: str | None = col("subscription plan assumed for prompt pricing")


# A table's columns are its keys, then `_Priced`'s: pydantic orders fields base class last in the MRO first, so
# `class T(_Priced, _Keys)` gives _Keys' fields, then _Priced's (the DDL test pins the order).
class _PricedTurnKeys(Row):
    """The keys of priced_turns."""

    turn_id: str | None = col("turn id of the counted call")
    day: date | None = col(_DAY)
    ts: datetime | None = col("event time")
    source: str | None = col("source the call is counted under")
    session_id: str | None = col("session of the call")
    subagent: str | None = col("subagent id; null on the main thread")
    model: str | None = col("model that really answered (proxy reroutes applied)")
    transcript_model: str | None = col("model as the transcript named it")
    provider: str | None = col("provider that really answered")
    lane: str | None = col("proxy routing lane")
    basis: Basis | None = col(_BASIS)


class PricedTurn(_Priced, _PricedTurnKeys):
    """Every answered call counted once across sources, priced as the model that really answered."""


class _UsageModelKeys(Row):
    """The keys of usage_model_daily."""

    day: date | None = col(_DAY)
    model: str | None = col("model that really answered")
    provider: str | None = col("provider of the model")
    basis: Basis | None = col(_BASIS)
    turns: int | None = col("counted calls", ge=0)


class UsageModelDaily(_Priced, _UsageModelKeys):
    """priced_turns summed per day, model, provider and basis (what the rollup's per-model cost reads)."""


class FeaturesDaily(Row):
    """Features shipped per day: BDD results first, else AgentOS windows, else CCC sessions (`basis`)."""

    day: date | None = col(_DAY)
    basis: Literal["bdd", "windows", "sessions"] | None = col("evidence the count came from (null: none)")
    features_shipped: int | None = col("features shipped on the day", ge=0)
    feature_delta: int | None = col("change in the number of shipped features (bdd), else the count itself")
    shipped_ids: list[str] | None = col("features first shipped on the day")
    implemented_ids: list[str] | None = col("features passing on a branch only")
    failing_ids: list[str] | None = col("features whose scenarios fail")
    bdd_features: int | None = col("count from BDD results", ge=0)
    window_features: int | None = col("count from the day's current AgentOS windows", ge=0)
    session_features: int | None = col("count from CCC session_end records", ge=0)
    errors: list[str] | None = col(_ERRORS)


class EfficiencyWindow(Row):
    """One capacity window's features and capacity used (the inputs of E and E_q)."""

    day: date | None = col(_DAY)
    window: str | None = col("AgentOS window id")
    provider: str | None = col("provider of the window")
    finalized_at: datetime | None = col("when the window record was finalized")
    features: int | None = col("features completed in the window", ge=0)
    capacity: float | None = col("capacity used, in capacity_unit")
    capacity_unit: str | None = col("pp (usage-bar points) | prompts (GLM)")
    weekly_fallback: bool | None = col("the weekly delta was used (5-hour delta missing or negative)")
    quality_score: float | None = col("recorded quality score, else 1 - churn_14d clamped to [0.5, 1], else 1")
    quality_source: str | None = col("where quality_score came from")
    errors: list[str] | None = col(_ERRORS)


class EfficiencyDaily(Row):
    """E (features per capacity) and E_q (quality-adjusted) per day, provider and capacity unit."""

    day: date | None = col(_DAY)
    provider: str | None = col("provider")
    capacity_unit: str | None = col("pp (usage-bar points) | prompts (GLM): never added across units")
    windows: int | None = col("windows of the day", ge=0)
    features: int | None = col("features over usable windows", ge=0)
    capacity: float | None = col("capacity used over usable windows")
    quality_features: float | None = col("sum of features x quality_score")
    e: float | None = col("E = features / capacity (null when capacity is 0)")
    e_q: float | None = col("E_q = quality_features / capacity")
    weekly_fallback_windows: int | None = col("windows that used the weekly delta", ge=0)
    errors: list[str] | None = col(_ERRORS)


class InteractionDaily(Row):
    """Human interaction minutes per session and day, and IMPF (interaction minutes per feature)."""

    day: date | None = col(_DAY)
    session_id: str | None = col("session")
    prompts: int | None = col("user prompts", ge=0)
    idle_prompts: int | None = col("prompts after a gap over 5 minutes (idle, capped)", ge=0)
    interaction_minutes: float | None = col("sum of prompt gaps capped at 5 minutes", ge=0)
    features_completed: int | None = col("features completed", ge=0)
    impf: float | None = col("interaction_minutes / features_completed (null when none completed)", ge=0)
    errors: list[str] | None = col(_ERRORS)


class ChurnDaily(Row):
    """Git churn of lines added per day (7/14/28-day horizons) and the tracker's window churn."""

    day: date | None = col(_DAY)
    repo_id: str | None = col("repository")
    commits: int | None = col("commits of the day", ge=0)
    lines_added: int | None = col("lines added on the day", ge=0)
    churned_7d: int | None = col("of them changed or deleted again within 7 days", ge=0)
    churned_14d: int | None = col("... within 14 days", ge=0)
    churned_28d: int | None = col("... within 28 days", ge=0)
    churn_7d: float | None = col("churned_7d / lines_added", ge=0)
    churn_14d: float | None = col("churned_14d / lines_added", ge=0)
    churn_28d: float | None = col("churned_28d / lines_added", ge=0)
    window_records: int | None = col("AgentOS churn records of the day", ge=0)
    window_insertions: int | None = col("their insertions", ge=0)
    window_deletions: int | None = col("their deletions", ge=0)
    window_net: int | None = col("their net lines")
    window_features: float | None = col("their features", ge=0)
    window_churn: float | None = col("window net lines / features")
    churn_score: float | None = col("churn_14d when git is available, else window_churn")
    churn_source: Literal["git_churn_14d", "window_normalized_churn"] | None = col("which one churn_score is")
    errors: list[str] | None = col(_ERRORS)


_Z = "standard score against the trailing 90 days of the repository"


class ClsFeatures(Row):
    """CLS inputs and score per day or window of a repository (METRICS.md, Cognitive Load Score)."""

    day: date | None = col(_DAY)
    scope: str | None = col("day | window:<id>")
    repo_id: str | None = col("repository")
    range_start: str | None = col("first commit of the diffed range")
    range_end: str | None = col("last commit of the diffed range")
    files_touched: float | None = col("files touched", ge=0)
    module_spread: float | None = col("distinct top-level modules touched", ge=0)
    dep_depth: float | None = col("import depth of touched modules", ge=0)
    delta_cyclomatic: float | None = col("change in cyclomatic complexity")
    plan_size_kb: float | None = col("size of plan/spec documents touched, KB", ge=0)
    interface_delta: float | None = col("public signatures added, removed or changed", ge=0)
    cross_refs: float | None = col("references across modules", ge=0)
    z_files_touched: float | None = col(_Z)
    z_module_spread: float | None = col(_Z)
    z_dep_depth: float | None = col(_Z)
    z_delta_cyclomatic: float | None = col(_Z)
    z_plan_size_kb: float | None = col(_Z)
    z_interface_delta: float | None = col(_Z)
    z_cross_refs: float | None = col(_Z)
    cls: float | None = col("weighted sum of the z-scores")
    review: bool | None = col("CLS > 1.2: stronger review and stronger models")
    input_errors: list[str] | None = col("inputs that could not be measured (each contributes 0)")
    errors: list[str] | None = col(_ERRORS)


class RoutingDaily(Row):
    """Per routing lane and day: requests, errors, latency and reroute decisions."""

    day: date | None = col(_DAY)
    lane: str | None = col("proxy routing lane")
    source: str | None = col("log (the proxy log of the day) | summary (its METRICS summary, when no log)")
    requests: int | None = col("requests", ge=0)
    completions: int | None = col("completed requests", ge=0)
    error_count: int | None = col("failed requests", ge=0)
    p50_ms: float | None = col("median latency, ms", ge=0)
    p95_ms: float | None = col("95th percentile latency, ms", ge=0)
    reroutes: int | None = col("decisions other than pass_through", ge=0)
    decisions: Any = col("every decision kind counted (JSON)")
    error_types: Any = col("errors by class (JSON)")


class ModelMixDaily(Row):
    """Share of turns, tokens, cost and features per model and per subagent."""

    day: date | None = col(_DAY)
    kind: Literal["model", "subagent"] | None = col("what `key` names")
    key: str | None = col("the model, or the subagent id ('main' for the main thread)")
    turns: int | None = col("turns", ge=0)
    tokens: int | None = col("tokens", ge=0)
    cost_usd: float | None = col("estimated USD", ge=0)
    features: int | None = col("features completed in sessions it took part in", ge=0)
    turn_share: float | None = col("share of the day's turns", ge=0)
    token_share: float | None = col("share of the day's tokens", ge=0)
    cost_share: float | None = col("share of the day's cost", ge=0)
    feature_share: float | None = col("share of the day's features", ge=0)


class PolicyFinding(Row):
    """A use of models the license's plan or policy pack does not allow."""

    day: date | None = col(_DAY)
    kind: Literal["models_mixed", "policy_model"] | None = col("which rule found it")
    plan: str | None = col("plan of the license in force")
    provider: str | None = col("provider that answered")
    model: str | None = col("model that answered")
    calls: int | None = col("calls (or GLM prompts)", ge=0)
    finding: str | None = col("the finding in words")
