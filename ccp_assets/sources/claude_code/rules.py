"""Which Claude Code usage lines count, as ccusage 20.0.24 decides it (SQL fragments for the normalizer).

ccusage is the judge of tokens and cost (METRICS.md). Measured against the real binary with one-line
transcripts (tests/sources/ccusage_cases/): a line counts whatever its `type` when it carries
`message.usage` (or an agent_progress line's `data.message.message.usage`) and a timestamp with a zone;
it is skipped when
- any of a fixed set of fields is written `null` anywhere in the line (`"requestId":null`, `"model":null`, ...);
- its `version` is not semver-like (`abc`, `2.0`), its `sessionId` or model is the empty string;
- `usage.speed` is neither `standard` nor `fast`, or `costUSD` is not a number;
- a token count is not a non-negative integer (those stay rows named in `type_drift` for the drift checks,
  and the daily report leaves them out, as ccusage does).
An empty `requestId` or `message.id` still counts in 20.0.24 (its 20.0.11 source rejected them).
One deliberate difference: ccusage only reads lines that contain the bytes `"usage":{` and looks for
`"field":null` byte-wise, so JSON written with spaces (`"usage": {`) counts nothing there. Claude Code
writes compact JSON, so real transcripts agree either way; here spaced JSON is read like compact JSON
(test generators and other writers use it).
"""

from __future__ import annotations

NULL_FIELDS = ("id", "cwd", "model", "speed", "costUSD", "version", "sessionId", "requestId",
               "isApiErrorMessage", "cache_read_input_tokens", "cache_creation_input_tokens")
NULL_FIELD_RE = '"(' + "|".join(NULL_FIELDS) + r')"\s*:\s*null'
SEMVER_PREFIX_RE = r"^[0-9]+\.[0-9]+\.[0-9]"
ZONED_TS_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|z|[+-][0-9]{2}:?[0-9]{2})$"
SPEEDS = ("standard", "fast")
NUMBER_TYPES = "('UBIGINT', 'BIGINT', 'DOUBLE')"


def null_field_sql(line: str, usage: str) -> str:
    """The first field written `null` in a usage line (ccusage skips the whole line), else NULL."""
    return f"CASE WHEN {usage} IS NOT NULL THEN nullif(regexp_extract({line}, '{NULL_FIELD_RE}', 1), '') END"


def skip_reason_sql() -> str:
    """Over cc_responses' columns: why ccusage would not count the line, NULL when it counts."""
    speeds = ", ".join(f"'{s}'" for s in SPEEDS)
    return f"""CASE
        WHEN null_field IS NOT NULL THEN null_field || ' is null'
        WHEN raw_ts IS NULL OR NOT regexp_matches(raw_ts, '{ZONED_TS_RE}') OR ts IS NULL
            THEN 'timestamp missing or without a time zone: ' || coalesce(raw_ts, '(none)')
        WHEN NOT embedded AND version IS NOT NULL AND NOT regexp_matches(version, '{SEMVER_PREFIX_RE}')
            THEN 'version is not semver: ' || version
        WHEN NOT embedded AND session_id = '' THEN 'sessionId is empty'
        WHEN model = '' THEN 'model is empty'
        WHEN speed IS NOT NULL AND speed NOT IN ({speeds}) THEN 'unknown usage.speed: ' || speed
        WHEN cost_type IS NOT NULL AND cost_type NOT IN {NUMBER_TYPES} THEN 'costUSD is ' || cost_type
    END"""
