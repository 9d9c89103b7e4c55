"""The CCP proxy's wire vocabulary, shared by every source that carries proxy records.

The proxy's own log (sources/ccp_proxy/), the AgentOS tracker's old-style proxy samples and telemetry
captures (sources/agentos/ledgers.py) and the CCC client's routing decisions (sources/ccc/) all hold
records the proxy wrote: the same status words, the same decision fields, the same evidence of which provider
answered. They are defined once here, below the source packages, so no package imports another.
"""

from __future__ import annotations

from ccp_assets.sources.jsonsql import Field

OK_WORDS = ("ok", "success", "succeeded")
FAIL_WORDS = ("error", "fail", "failed", "failure")

DECISION_FIELDS = [
    Field("rid", "rid", "text"), Field("lane", "lane", "str"), Field("model", "model", "str"),
    Field("upstream", "upstream", "str"), Field("status", "status", "int"), Field("decision", "decision", "str"),
    Field("decision_reason", "decision_reason", "str"), Field("reroute_mode", "reroute_mode", "str"),
    Field("reroute_decision", "reroute_decision", "str"), Field("preferred_attempt", "preferred_attempt", "int"),
    Field("warn_pct_cfg", "warn_pct_cfg", "num"), Field("warn_pct_auto", "warn_pct_auto", "num"),
    Field("warn_pct_confidence", "warn_pct_confidence", "num"), Field("gap_seconds_p50", "gap_seconds_p50", "num"),
    Field("gap_seconds_p95", "gap_seconds_p95", "num"), Field("gap_samples", "gap_samples", "num"),
    Field("headroom_pct_rolling", "headroom_pct_rolling", "num"),
    Field("headroom_pct_weekly", "headroom_pct_weekly", "num"),
    Field("rolling_used_tokens", "rolling_used_tokens", "int"),
    Field("rolling_capacity_tokens", "rolling_capacity_tokens", "int"),
    Field("weekly_used_tokens", "weekly_used_tokens", "int"),
    Field("weekly_capacity_tokens", "weekly_capacity_tokens", "int"),
    Field("cooldown_active", "cooldown_active", "bool"), Field("cooldown_next_ts", "cooldown_next_ts", "ts"),
    Field("wasted_retry_ms", "wasted_retry_ms", "num"), Field("paused", "paused", "bool"),
    Field("session_id", "session_id", "text"),
]


def provider_sql(upstream: str = "upstream", lane: str = "lane", model: str = "model") -> str:
    m = f"lower(coalesce({model}, ''))"
    return f"""CASE WHEN lower({upstream}) IN ('anth', 'anthropic') THEN 'anthropic'
        WHEN lower({upstream}) IN ('zai', 'z.ai', 'glm', 'zhipu') THEN 'zai'
        WHEN lower({upstream}) IN ('openai', 'oai') THEN 'openai'
        WHEN lower({lane}) IN ('zai', 'glm') THEN 'zai'
        WHEN lower({lane}) = 'anthropic' THEN 'anthropic'
        WHEN {m} LIKE 'claude%' OR {m} LIKE 'anthropic/%' THEN 'anthropic'
        WHEN {m} LIKE 'glm%' OR {m} LIKE 'z.ai/%' OR {m} LIKE 'zai/%' OR {m} LIKE '%/glm%' THEN 'zai'
        WHEN {m} LIKE 'gpt%' OR {m} LIKE 'openai/%' OR regexp_matches({m}, '^o[0-9]') THEN 'openai'
        ELSE 'unknown' END"""


def provider_of(upstream: str | None, lane: str | None, model: str | None) -> str:
    """provider_sql for one row, in Python (same order of evidence)."""
    up, ln, m = (upstream or "").lower(), (lane or "").lower(), (model or "").lower()
    if up in ("anth", "anthropic"):
        return "anthropic"
    if up in ("zai", "z.ai", "glm", "zhipu"):
        return "zai"
    if up in ("openai", "oai"):
        return "openai"
    if ln in ("zai", "glm"):
        return "zai"
    if ln == "anthropic":
        return "anthropic"
    if m.startswith(("claude", "anthropic/")):
        return "anthropic"
    if m.startswith(("glm", "z.ai/", "zai/")) or "/glm" in m:
        return "zai"
    if m.startswith(("gpt", "openai/")) or (len(m) > 1 and m[0] == "o" and m[1].isdigit()):
        return "openai"
    return "unknown"
