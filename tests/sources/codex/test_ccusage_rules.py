"""ccusage 20.0.24's Codex rules, one small rollout each, expected tokens worked out by hand.

Each case is checked twice: through the package (real landing, real DuckDB) and, when the binary is installed,
through ccusage itself, so the hand-made expectation is ccusage's and not ours. Tuples are
(uncached input, cached input, output, reasoning, total, isFallback) per day and model.
"""

from __future__ import annotations

import pytest

from tests.sources.codex.conftest import (
    CodexHome,
    by_day,
    ctx,
    line,
    meta,
    needs_ccusage,
    run_ccusage,
    run_pipeline,
    tokens,
    usage,
)

S = "sessions/2025/10/01/rollout-2025-10-01T10-00-00-s1.jsonl"
S2 = "sessions/2025/10/02/rollout-2025-10-02T10-00-00-s2.jsonl"
D = "2025-10-01"

CASES: dict[str, tuple[dict[str, list[str]], dict]] = {
    # last_token_usage is the turn whenever the cumulative total moved, even when it disagrees with the difference.
    "last_wins": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"),
                       usage(f"{D}T10:00:01Z", tokens(100, 10, 20, 5), tokens(100, 10, 20, 5)),
                       usage(f"{D}T10:00:02Z", tokens(7, 0, 3), tokens(1000, 10, 200, 5))]},
                  {D: {"gpt-5": (90 + 7, 10, 23, 5, 120 + 10, False)}}),
    # Old files: totals only; each turn is the difference from the previous total.
    "cumulative_only": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"), usage(f"{D}T10:00:01Z", total=tokens(100, 10, 20, 5)),
                             usage(f"{D}T10:00:02Z", total=tokens(300, 50, 60, 10))]},
                        {D: {"gpt-5": (250, 50, 60, 10, 360, False)}}),
    # info null (rate limits only) counts nothing; a repeated line (same total) adds 0.
    "info_null_and_repeat": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"), usage(f"{D}T10:00:00.5Z"),
                                  usage(f"{D}T10:00:01Z", tokens(100, 10, 20, 5), tokens(100, 10, 20, 5)),
                                  usage(f"{D}T10:00:09Z", tokens(100, 10, 20, 5), tokens(100, 10, 20, 5))]},
                             {D: {"gpt-5": (90, 10, 20, 5, 120, False)}}),
    # The model in force is the last turn_context's.
    "model_switch": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"), usage(f"{D}T10:00:01Z", tokens(100, 10, 20, 5)),
                          ctx(f"{D}T10:00:02Z", "gpt-5-mini"), usage(f"{D}T10:00:03Z", tokens(200, 0, 20))]},
                     {D: {"gpt-5": (90, 10, 20, 5, 120, False), "gpt-5-mini": (200, 0, 20, 0, 220, False)}}),
    # No turn_context: ccusage names it gpt-5 with isFallback (the warehouse keeps model NULL).
    "no_model": ({S: [meta(f"{D}T10:00:00Z", "s1"), usage(f"{D}T10:00:01Z", tokens(100, 10, 20, 5))]},
                 {D: {"gpt-5": (90, 10, 20, 5, 120, True)}}),
    # Cached input above input is clamped to it; a missing total is input + output.
    "clamp_and_total": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"), usage(f"{D}T10:00:01Z", tokens(100, 150, 20, 5)),
                             usage(f"{D}T10:00:02Z", {"input_tokens": 50, "output_tokens": 5})]},
                        {D: {"gpt-5": (0 + 50, 100, 25, 5, 120 + 55, False)}}),
    # The same turn (instant, model, counts) in two files counts once; `Z` and `.000Z` are the same instant.
    "copied_turn": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"), usage(f"{D}T23:30:00Z", tokens(100, 10, 20, 5))],
                     S2: [ctx(f"{D}T10:00:00Z", "gpt-5"), usage(f"{D}T23:30:00.000Z", tokens(100, 10, 20, 5)),
                          usage(f"{D}T23:31:00Z", tokens(100, 10, 20, 5))]},
                    {D: {"gpt-5": (180, 20, 40, 10, 240, False)}}),
    # JSON written with spaces and a line without a timestamp are not read by ccusage 20.0.24.
    "unread_lines": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"), usage(f"{D}T10:00:01Z", tokens(100), spaced=True),
                          usage(None, tokens(40, 0, 4)), usage(f"{D}T10:00:03Z", tokens(10, 0, 1))]},
                     {D: {"gpt-5": (10, 0, 1, 0, 11, False)}}),
    # Epoch-second timestamps count; the model may come from the token_count line itself and then stays.
    "epoch_and_line_model": ({S: [ctx(f"{D}T10:00:00Z", "gpt-5"),
                                  line(1759312801, "event_msg", {"type": "token_count", "info": {
                                      "model": "gpt-5-mini", "last_token_usage": tokens(100, 10, 20, 5)}}),
                                  usage(f"{D}T10:00:05Z", tokens(1, 0, 1))]},
                             {D: {"gpt-5-mini": (91, 10, 21, 5, 122, False)}}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_package_counts_as_ccusage_does(case: str, codex_home: CodexHome) -> None:
    files, want = CASES[case]
    for rel, lines in files.items():
        codex_home.write(rel, *lines)
    assert by_day(run_pipeline()) == want


@needs_ccusage
@pytest.mark.parametrize("case", sorted(CASES))
def test_ccusage_counts_the_case_so(case: str, codex_home: CodexHome) -> None:
    files, want = CASES[case]
    for rel, lines in files.items():
        codex_home.write(rel, *lines)
    assert by_day(run_ccusage(codex_home.path)) == want


def test_turns_keep_what_the_rollout_said(codex_home: CodexHome) -> None:
    """Warehouse rows: model NULL when none was named (counted in quarantine), reasoning kept, session id from
    session_meta, ccusage's session id (path below sessions/) as transcript_id, unread lines quarantined."""
    from tests.helpers import query

    codex_home.write(S, meta(f"{D}T10:00:00Z", "sid-1"), usage(f"{D}T10:00:01Z", tokens(100, 10, 20, 5)),
                     ctx(f"{D}T10:00:02Z", "gpt-5"), usage(f"{D}T10:00:03Z", tokens(7, 0, 3), spaced=True),
                     usage(f"{D}T10:00:04Z", tokens(50, 40, 9, 2)))
    run_pipeline()
    assert query("SELECT model, tokens_in, cache_read_tokens, tokens_out, extras->>'$.reasoning_output_tokens', "
                 "session_id, transcript_id FROM turns WHERE source = 'codex' ORDER BY ts") == [
        (None, 90, 10, 20, "5", "sid-1", "2025/10/01/rollout-2025-10-01T10-00-00-s1"),
        ("gpt-5", 10, 40, 9, "2", "sid-1", "2025/10/01/rollout-2025-10-01T10-00-00-s1")]
    assert query("SELECT kind, state FROM quarantine WHERE source = 'codex' ORDER BY kind") == [
        ("model_missing", "kept"), ("skipped_usage", "skipped")]
