"""Which Codex rollout lines count, and how, as ccusage 20.0.24 decides it (SQL fragments for the normalizer).

Measured against the real binary (tests/sources/codex/test_ccusage_rules.py writes each case as a rollout and
runs `ccusage codex daily --json --offline`); its public source (rust/adapters/codex/src/parser.rs, loader.rs)
named the rules, the binary settled them:
- Usage is an `event_msg` line whose `payload.type` is `token_count`, with its own `timestamp`; `info: null`
  (a rate-limit-only line) counts nothing. A line is only read when its bytes hold the compact
  `"type":"event_msg"` and `"type":"token_count"` (`"type":"turn_context"` for a model line): JSON written
  with spaces is not read by 20.0.24. Codex writes compact JSON; a spaced usage line is quarantined here.
- The turn's tokens: `info.last_token_usage` when the cumulative `info.total_token_usage` moved since the
  previous line of the file that had one (or either is missing); else the cumulative total minus the previous
  one, field by field and never below 0 (old files carry only totals). A repeated line (same total) adds 0.
- A turn with 0 input, cached, cache-write, output and reasoning tokens is not a turn.
- `cached_input_tokens` is part of `input_tokens` (clamped to it); `output_tokens` already contains
  `reasoning_output_tokens` (kept for reference, never added again); `total_tokens` as written, else
  input + output. Field aliases read: prompt_tokens / input, cache_read_input_tokens / cached_tokens,
  completion_tokens / output, reasoning_tokens.
- The model: the line's own `model` (or `model_name`, `metadata.model`, the same under `info`), else the
  last one named by a `turn_context` (or a counted usage line) earlier in the file. With none, ccusage 20.0.24
  prices the turn as `gpt-5` and marks it `isFallback`; here the model stays NULL (never guessed), the turn
  is kept and counted in quarantine as `model_missing`, and the ccusage-shaped report names it as ccusage does.
- The service tier: the last `thread_settings_applied` `service_tier` before the turn (`priority`/`fast` is
  fast, `default`/`standard` is standard, any other value clears it, a settings line without the key keeps it);
  a turn left unclassified is fast when a home's config.toml says `service_tier = "priority"` (adapter.py).
- One turn per (instant, model, input, cached, output, reasoning, total) across all files: a session copied
  into another file (a fork, an archived copy) counts once.
- A fork's replayed copy of its parent's history is not counted (replay.py).
Deliberate differences: a token count written as a string is NULL here and named in `type_drift` (20.0.24
reads "100" as 100). `token_usage_record` compaction usage is not counted (nor by 20.0.24: measured).
"""

from __future__ import annotations

from ccp_assets.sources.jsonsql import Parsed

KNOWN_LINE_TYPES = ("session_meta", "turn_context", "response_item", "event_msg", "compacted",
                    "token_usage_record")
INT_TYPES = "('UBIGINT', 'BIGINT')"
# The usage object's fields, each with the spellings ccusage 20.0.24 reads (first present wins).
USAGE_ALIASES = {
    "input": ("input_tokens", "prompt_tokens", "input"),
    "cached": ("cached_input_tokens", "cache_read_input_tokens", "cached_tokens"),
    "creation": ("cache_creation_input_tokens",),
    "output": ("output_tokens", "completion_tokens", "output"),
    "reasoning": ("reasoning_output_tokens", "reasoning_tokens"),
    "total": ("total_tokens",),
}
MODEL_PATHS = ("payload.model", "payload.model_name", "payload.metadata.model", "payload.info.model",
               "payload.info.model_name", "payload.info.metadata.model")

LINE = Parsed.of("v", [
    "type", "timestamp", "payload.type", *MODEL_PATHS, "payload.info", "payload.info.last_token_usage",
    "payload.info.total_token_usage", "payload.rate_limits", "payload.id", "payload.cwd", "payload.cli_version",
    "payload.originator", "payload.git.branch", "payload.thread_settings", "payload.thread_settings.service_tier",
])


def _compact(*types: str) -> str:
    return " AND ".join(f"contains(line, '\"type\":\"{t}\"')" for t in types)


def kind_sql() -> str:
    """What a line is to the usage reader: ctx, usage, tier, meta, or NULL (anything else)."""
    t, p = LINE.text("type"), LINE.text("payload.type")
    return f"""CASE
        WHEN {t} = 'turn_context' AND {_compact('turn_context')} THEN 'ctx'
        WHEN {t} = 'event_msg' AND {p} = 'token_count' AND {_compact('event_msg', 'token_count')} THEN 'usage'
        WHEN {t} = 'event_msg' AND {p} = 'token_count' THEN 'spaced_usage'
        WHEN {t} = 'event_msg' AND {p} = 'thread_settings_applied'
             AND {_compact('event_msg', 'thread_settings_applied')} THEN 'tier'
        WHEN {t} = 'session_meta' THEN 'meta'
    END"""


def model_sql(paths: tuple[str, ...]) -> str:
    """The first non-blank model string among the paths (trimmed), else NULL."""
    picks = [f"nullif(trim(CASE WHEN {LINE.type(p)} = 'VARCHAR' THEN {LINE.text(p)} END), '')" for p in paths]
    return f"coalesce({', '.join(picks)})"


def has_ts_sql() -> str:
    """The line has a timestamp of its own (ccusage drops usage lines without one)."""
    t = LINE.type("timestamp")
    return (f"(({t} = 'VARCHAR' AND trim({LINE.text('timestamp')}) <> '') "
            f"OR {t} IN ('UBIGINT', 'BIGINT', 'DOUBLE'))")


def own_ts_sql() -> str:
    """The line's own time as TIMESTAMPTZ (epoch numbers above 1e10 are milliseconds, as ccusage reads them)."""
    t, v = LINE.type("timestamp"), LINE.text("timestamp")
    return (f"CASE WHEN {t} = 'VARCHAR' THEN TRY_CAST(trim({v}) AS TIMESTAMPTZ) "
            f"WHEN {t} IN ('UBIGINT', 'BIGINT') THEN to_timestamp(TRY_CAST({v} AS DOUBLE) / "
            f"CASE WHEN TRY_CAST({v} AS DOUBLE) > 1e10 THEN 1000 ELSE 1 END) END")


def usage_sql(obj_path: str) -> str:
    """[input, cached, creation, output, reasoning, total] of a usage object (NULL when it is not an object).

    Missing counts are 0 (as ccusage reads them); a count of the wrong JSON type is 0 here and named by
    `usage_drift_sql`. A missing total is input + output.
    """
    raw = LINE.raw(obj_path)

    def one(names: tuple[str, ...]) -> str:
        picks = [f"CASE WHEN json_type({raw}, '$.{n}') IN {INT_TYPES} THEN TRY_CAST({raw}->>'$.{n}' AS BIGINT) END"
                 for n in names]
        return f"greatest(coalesce({', '.join(picks)}, 0), 0)"

    f = {k: one(v) for k, v in USAGE_ALIASES.items()}
    total = (f"CASE WHEN json_type({raw}, '$.total_tokens') IN {INT_TYPES} THEN {f['total']} "
             f"ELSE {f['input']} + {f['output']} END")
    return (f"CASE WHEN json_type({raw}) = 'OBJECT' THEN [{f['input']}, {f['cached']}, {f['creation']}, "
            f"{f['output']}, {f['reasoning']}, {total}] END")


def usage_drift_sql() -> str:
    """VARCHAR[] naming each token count that is present but not a non-negative integer (`path:TYPE`)."""
    checks = []
    for obj in ("payload.info.last_token_usage", "payload.info.total_token_usage"):
        raw = LINE.raw(obj)
        for names in USAGE_ALIASES.values():
            for n in names:
                jt = f"json_type({raw}, '$.{n}')"
                checks.append(f"CASE WHEN {jt} IS NOT NULL AND {jt} <> 'NULL' AND ({jt} NOT IN {INT_TYPES} "
                              f"OR TRY_CAST({raw}->>'$.{n}' AS HUGEINT) < 0) THEN '{obj}.{n}:' || {jt} END")
    return f"list_filter([{', '.join(checks)}], x -> x IS NOT NULL)"


def tier_sql() -> str:
    """A settings line's tier: 'fast', 'standard', 'unclassified' (present, unknown), NULL (no key: keep)."""
    raw = LINE.raw("payload.thread_settings.service_tier")
    v = LINE.text("payload.thread_settings.service_tier")
    return (f"CASE WHEN coalesce(json_type({LINE.raw('payload.thread_settings')}, '$.service_tier'), 'NULL') = 'NULL' "
            f"THEN NULL "
            f"WHEN json_type({raw}) = 'VARCHAR' AND {v} IN ('priority', 'fast') THEN 'fast' "
            f"WHEN json_type({raw}) = 'VARCHAR' AND {v} IN ('default', 'standard') THEN 'standard' "
            f"ELSE 'unclassified' END")


def minus_sql(cur: str, prev: str) -> str:
    """Field-by-field `cur - prev`, never below 0 (prev NULL counts as zeros)."""
    return f"list_transform(range(1, 7), k -> greatest({cur}[k] - coalesce({prev}[k], 0), 0))"


def clamp_sql(u: str) -> str:
    """ccusage's normalization: cached <= input, cache writes <= input - cached."""
    return (f"[{u}[1], least({u}[2], {u}[1]), least({u}[3], greatest({u}[1] - least({u}[2], {u}[1]), 0)), "
            f"{u}[4], {u}[5], {u}[6]]")
