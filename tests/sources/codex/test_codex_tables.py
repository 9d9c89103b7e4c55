"""Codex discovery, rate-limit bars as capacity rows, session-days, and a pass run twice changing nothing."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import query
from tests.sources.codex.conftest import CodexHome, ctx, meta, run_pipeline, tokens, usage

D = "2025-10-01"


def test_files_of_every_home_and_the_active_copy_wins(tmp_path: Path) -> None:
    from ccp_assets.sources.codex.adapter import CodexSource

    one, two = tmp_path / "one", tmp_path / "two"
    for rel in ("sessions/2025/10/01/a.jsonl", "archived_sessions/2025/10/01/a.jsonl",
                "archived_sessions/2025/09/01/old.jsonl", "sessions/notes.txt"):
        (one / rel).parent.mkdir(parents=True, exist_ok=True)
        (one / rel).write_text("{}\n")
    (two / "archived_sessions").mkdir(parents=True)
    (two / "archived_sessions" / "b.jsonl").write_text("{}\n")
    src = CodexSource({"CODEX_HOME": f"{one}, {two}"})
    assert src.enabled()
    assert [str(p.relative_to(tmp_path)) for p in src.files()] == [
        "one/archived_sessions/2025/09/01/old.jsonl", "one/sessions/2025/10/01/a.jsonl",
        "two/archived_sessions/b.jsonl"]
    assert [p.name for p in CodexSource({"CODEX_HOME": str(one / "sessions")}).files()] == ["a.jsonl"]  # bare
    assert not CodexSource({"HOME": str(tmp_path / "nobody")}).enabled()  # ~/.codex absent: the source is off
    (tmp_path / "nobody" / ".codex" / "sessions").mkdir(parents=True)
    assert CodexSource({"HOME": str(tmp_path / "nobody")}).enabled()  # the default home


def test_rate_limit_bars_are_codex_capacity(codex_home: CodexHome) -> None:
    bars = {"primary": {"used_percent": 12.5, "window_minutes": 300, "resets_in_seconds": 600},
            "secondary": {"used_percent": 40, "window_minutes": 10080, "resets_at": 1759400000}}
    swapped = {"primary": {"used_percent": 70.0, "window_minutes": 10080},
               "secondary": {"used_percent": 3.0, "window_minutes": 300}}
    bad = {"primary": {"used_percent": "12%", "window_minutes": 300}}
    codex_home.write("sessions/2025/10/01/r.jsonl", ctx(f"{D}T10:00:00Z", "gpt-5-codex"),
                     usage(f"{D}T10:00:01Z", rl=bars), usage(f"{D}T10:00:02Z", tokens(10, 0, 1), rl=swapped),
                     usage(f"{D}T10:00:03Z", tokens(10, 0, 1), rl=bad))
    run_pipeline()
    assert query("SELECT ledger, provider, model, fiveh_pct, weekly_pct, parse_errors, parsed->>'$.secondary.resets_at' "
                 "FROM meter_snapshots WHERE source = 'codex' ORDER BY captured_at") == [
        ("codex_rate_limits", "codex", "gpt-5-codex", 12.5, 40.0, None, "1759400000"),
        ("codex_rate_limits", "codex", "gpt-5-codex", 3.0, 70.0, None, None),
        ("codex_rate_limits", "codex", "gpt-5-codex", None, None, ["primary.used_percent:VARCHAR"], None)]


def test_sessions_and_a_second_pass_change_nothing(codex_home: CodexHome) -> None:
    from ccp_assets.settings import load_settings
    from ccp_assets.sources.codex.normalize import normalize_days
    from ccp_assets.warehouse.resource import warehouse_for

    codex_home.write("sessions/2025/10/01/r.jsonl", meta(f"{D}T10:00:00Z", "sid-9"), ctx(f"{D}T10:00:00Z", "gpt-5"),
                     usage(f"{D}T10:00:01Z", tokens(100, 10, 20, 5), tokens(100, 10, 20, 5)),
                     ctx("2025-10-02T09:00:00Z", "gpt-5-mini"),
                     usage("2025-10-02T09:00:01Z", total=tokens(130, 10, 25, 5)))
    first = run_pipeline()
    tables = "SELECT (SELECT count(*) FROM turns), (SELECT count(*) FROM sessions), (SELECT count(*) FROM quarantine)"
    counts = query(tables)
    assert query("SELECT session_id, day::VARCHAR, turns, models, cwd, version FROM sessions ORDER BY day") == [
        ("sid-9", D, 1, ["gpt-5"], "/w/app", "0.44.0"), ("sid-9", "2025-10-02", 1, ["gpt-5-mini"], "/w/app", "0.44.0")]
    settings = load_settings()
    with warehouse_for(settings.warehouse_path).connect() as conn:
        # the second day alone: the previous total and the session come from the first day's lines
        (result,) = normalize_days(conn, settings, ["2025-10-02"])
    assert (result.day, result.metadata["turns"], result.metadata["sessions"]) == ("2025-10-02", 1, 1)
    assert query(tables) == counts
    assert query("SELECT tokens_in, cache_read_tokens, tokens_out, extras->>'$.basis' FROM turns "
                 "WHERE day = '2025-10-02'") == [(30, 0, 5, "delta")]
    assert run_pipeline() == first


def test_a_model_less_session_is_kept_with_no_model(codex_home: CodexHome) -> None:
    codex_home.write("sessions/2025/09/08/r.jsonl", meta("2025-09-08T08:00:00Z", "early"),
                     usage("2025-09-08T08:00:01Z", tokens(100, 10, 20, 5)))
    run_pipeline()
    assert query("SELECT model, tokens_in FROM turns") == [(None, 90)]
    assert query("SELECT session_id, turns, models FROM sessions") == [("early", 1, [])]


def test_a_growing_rollout_lands_only_its_new_lines_and_counts_the_difference(codex_home: CodexHome) -> None:
    """Codex appends to a rollout while it runs: the next pass lands the new line only, and its turn is the
    difference from the total landed before (100 -> 130 input: 30)."""
    path = codex_home.write("sessions/2025/10/01/r.jsonl", ctx(f"{D}T10:00:00Z", "gpt-5"),
                            usage(f"{D}T10:00:01Z", total=tokens(100, 10, 20, 5)))
    run_pipeline()
    with path.open("a") as fh:
        fh.write(usage(f"{D}T10:05:00Z", total=tokens(130, 10, 26, 5)) + "\n")
    report = run_pipeline()
    assert report["daily"][0]["models"]["gpt-5"]["inputTokens"] == 90 + 30
    assert query("SELECT tokens_in, tokens_out, extras->>'$.basis' FROM turns ORDER BY ts") == [
        (90, 20, "delta"), (30, 6, "delta")]
