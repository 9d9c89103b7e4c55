"""Fixed vocabularies for the minimized tier: the only strings allowed to leave as themselves. Each is a
closed set or a strict grammar, so a path, a prompt or a person's name cannot pass by looking similar."""

from __future__ import annotations

import re
from datetime import date, datetime

from .tiers import TIER_ORDER

PROVIDERS = frozenset({"anthropic", "openai", "zai", "codex", "claude", "glm", "google"})
CAPACITY_UNITS = frozenset({"pp", "prompts", "mtok", "usd", "tokens"})
TIERS = frozenset(TIER_ORDER)
SPECIAL_MODELS = frozenset({"<synthetic>"})  # Claude Code's placeholder model for local messages

# Metric field names that may appear as nested keys (METRICS.md shapes, ccusage's camelCase included).
METRIC_KEYS = frozenset({
    "features", "capacity", "capacity_unit", "e", "e_q", "features_shipped", "features_completed",
    "sessions", "turns", "tokens", "cost", "cost_usd", "share", "requests", "windows", "count",
    "input", "output", "cache_creation", "cache_read", "cache_write_5m", "cache_write_1h",
    "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "total", "total_tokens",
    "cache_creation_input_tokens", "cache_read_input_tokens",
    "inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "totalTokens", "totalCost",
    "raw", "normalized", "models", "subagents", "by_model", "by_subagent", "by_provider", "by_unit",
    "mean", "avg", "min", "max", "p50", "p95", "delta", "weekly", "five_hour",
    "quality_score", "churn_score", "cls", "impf", "interaction_minutes",
    "features_per_capacity", "quality_adjusted_efficiency", "capacity_used",
    # cost_usd_by_source keys (INTERFACES.md): fixed source names, never free text
    "claude_code", "ccp_proxy_only", "agentos_proxy", "ccc", "agentos_windows",
})

# Model ids: a family, then dash-separated segments that are version numbers, dates or known words.
_MODEL_WORDS = (
    "opus", "sonnet", "haiku", "instant", "mini", "nano", "pro", "flash", "flashx", "lite", "air", "airx",
    "turbo", "codex", "max", "preview", "latest", "exp", "experimental", "high", "low", "medium", "chat",
    "thinking", "vision", "plus", "long", "fast", "oss", "search", "audio", "realtime", "instruct", "x", "v",
)
_SEGMENT = rf"(?:\d{{1,8}}(?:\.\d{{1,3}}){{0,2}}[a-z]?|[a-z]\d{{1,3}}|{'|'.join(_MODEL_WORDS)})"
_FAMILY = r"(?:claude|gpt|glm|gemini|codex|o\d{1,2})"
_MODEL_RE = re.compile(
    rf"^(?:(?:{'|'.join(sorted(PROVIDERS))}|openrouter)/)?{_FAMILY}(?:-{_SEGMENT}){{0,8}}$", re.IGNORECASE
)
_SCHEMA_VERSION_RE = re.compile(r"^(?:ccp\.[a-z][a-z0-9_]{0,30}\.)?v?\d{1,3}(?:\.\d{1,3}){0,2}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?$")
_ISO_WEEK_RE = re.compile(r"^\d{4}-W(?:0[1-9]|[1-4]\d|5[0-3])$")


def is_model_name(value: str) -> bool:
    """claude-*, gpt-*, glm-*, gemini-*, codex-*, o<N>-* built only from known segments."""
    return value in SPECIAL_MODELS or (len(value) <= 80 and _MODEL_RE.fullmatch(value) is not None)


def is_iso_date(value: str) -> bool:
    """YYYY-MM-DD, an ISO datetime, or an ISO week (weekly rollups), and a real calendar value."""
    if _ISO_WEEK_RE.fullmatch(value):
        return True
    try:
        if _DATE_RE.fullmatch(value):
            date.fromisoformat(value)
            return True
        if _DATETIME_RE.fullmatch(value):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return True
    except ValueError:
        return False
    return False


def is_vocab_value(value: str) -> bool:
    """A string value allowed in a minimized payload as itself."""
    return (
        value in PROVIDERS
        or value in CAPACITY_UNITS
        or value in TIERS
        or is_model_name(value)
        or is_iso_date(value)
        or _SCHEMA_VERSION_RE.fullmatch(value) is not None
    )


def is_vocab_key(key: str) -> bool:
    """A dict key allowed as itself: a metric field name or any vocabulary value (models, providers...)."""
    return key in METRIC_KEYS or is_vocab_value(key)
