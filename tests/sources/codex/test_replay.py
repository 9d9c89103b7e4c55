"""A forked rollout's copy of its parent's history counts once (ccusage 20.0.24's replay rule): by one-for-one
match with the parent's turns up to the fork, else as a burst rewritten to the fork instant. Expected tokens by
hand: the parent's turns 100+10 and 200+20 (gpt-5), the child's own 7+3; checked on the binary too."""

from __future__ import annotations

import pytest

from tests.sources.codex.conftest import (
    CodexHome,
    by_day,
    ctx,
    line,
    needs_ccusage,
    run_ccusage,
    run_pipeline,
    tokens,
    usage,
)

D = "2025-10-01"
PARENT_ID = "0199aaaa-0000-7000-8000-000000000001"
PARENT = f"sessions/2025/10/01/rollout-2025-10-01T10-00-00-{PARENT_ID}.jsonl"
CHILD = "sessions/2025/10/01/rollout-2025-10-01T11-00-00-0199bbbb-0000-7000-8000-000000000002.jsonl"


def meta(ts: str, sid: str, **extra: object) -> str:
    return line(ts, "session_meta", {"id": sid, "timestamp": ts, "cwd": "/w", **extra})


def parent() -> list[str]:
    return [meta(f"{D}T10:00:00Z", PARENT_ID), ctx(f"{D}T10:00:00Z", "gpt-5"),
            usage(f"{D}T10:01:00Z", tokens(100, 0, 10), tokens(100, 0, 10)),
            usage(f"{D}T10:02:00Z", tokens(200, 0, 20), tokens(300, 0, 30)),
            usage(f"{D}T12:00:00Z", tokens(50, 0, 5), tokens(350, 0, 35))]  # after the fork: not replayed


def child(first: str, copy_ts: tuple[str, str]) -> list[str]:
    return [first, ctx(f"{D}T11:00:00Z", "gpt-5"),
            usage(copy_ts[0], tokens(100, 0, 10), tokens(100, 0, 10)),
            usage(copy_ts[1], tokens(200, 0, 20), tokens(300, 0, 30)),
            usage(f"{D}T11:05:00Z", tokens(7, 0, 3), tokens(307, 0, 33))]


REWRITTEN = (f"{D}T11:00:00.010Z", f"{D}T11:00:00.020Z")
SPREAD = (f"{D}T11:00:10Z", f"{D}T11:00:20Z")
FORK = meta(f"{D}T11:00:00Z", "child", forked_from_id=PARENT_ID)
SUBAGENT = meta(f"{D}T11:00:00Z", "child", source={"subagent": {"thread_spawn": {"parent_thread_id": PARENT_ID}}})
ORPHAN = meta(f"{D}T11:00:00Z", "child", forked_from_id="no-such-session")
PLAIN = meta(f"{D}T11:00:00Z", "child")
BOTH = (100 + 200 + 50 + 7, 0, 10 + 20 + 5 + 3, 0, 110 + 220 + 55 + 10, False)  # parent + the child's own turn
TWICE = (BOTH[0] + 300, 0, BOTH[2] + 30, 0, BOTH[4] + 330, False)  # the copy counted again

CASES = {
    "fork_matches_parent": (child(FORK, SPREAD), True, BOTH),
    "subagent_matches_parent": (child(SUBAGENT, SPREAD), True, BOTH),
    "fork_rewritten_burst": (child(FORK, REWRITTEN), True, BOTH),
    "parent_missing_burst": (child(ORPHAN, REWRITTEN), True, BOTH),
    "parent_missing_no_burst": (child(ORPHAN, SPREAD), True, TWICE),
    "not_a_fork": (child(PLAIN, REWRITTEN), True, TWICE),
}


def _write(home: CodexHome, case: str) -> None:
    lines, with_parent, _ = CASES[case]
    if with_parent:
        home.write(PARENT, *parent())
    home.write(CHILD, *lines)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_forks_copy_counts_once(case: str, codex_home: CodexHome) -> None:
    _write(codex_home, case)
    assert by_day(run_pipeline()) == {D: {"gpt-5": CASES[case][2]}}


@needs_ccusage
@pytest.mark.parametrize("case", sorted(CASES))
def test_ccusage_counts_the_fork_so(case: str, codex_home: CodexHome) -> None:
    _write(codex_home, case)
    assert by_day(run_ccusage(codex_home.path)) == {D: {"gpt-5": CASES[case][2]}}


def test_the_parent_is_found_on_an_earlier_day(codex_home: CodexHome) -> None:
    """Normalizing the child's day alone still reads the parent's file (landed on the day before)."""
    from ccp_assets.settings import load_settings
    from ccp_assets.sources.codex.normalize import normalize_days
    from ccp_assets.sources.codex.source import SOURCE
    from ccp_assets.sources.landing import land
    from ccp_assets.warehouse.resource import warehouse_for
    from tests.helpers import query

    old = [x.replace(D, "2025-09-30") for x in parent()]
    codex_home.write(PARENT.replace("2025/10/01", "2025/09/30"), *old)
    codex_home.write(CHILD, *child(meta("2025-10-01T11:00:00Z", "child", forked_from_id=PARENT_ID),
                                   ("2025-10-01T11:00:10Z", "2025-10-01T11:00:20Z")))
    settings = load_settings()
    with warehouse_for(settings.warehouse_path).connect() as conn:
        land(conn, SOURCE, settings)
        (day,) = normalize_days(conn, settings, [D])
    assert (day.metadata["turns"], day.metadata["replayed_turns_dropped"]) == (1, 2)
    assert query("SELECT tokens_in, tokens_out FROM turns WHERE day = ?", [D]) == [(7, 3)]
