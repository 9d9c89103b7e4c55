"""Codex behind the Source protocol: its demo rollouts land and normalize, and ccusage counts them the same."""

from __future__ import annotations

import datetime as dt

from tests.sources.codex.conftest import CodexHome, by_day, needs_ccusage, run_ccusage, run_pipeline


def _demo(home: CodexHome) -> dict[str, str]:
    from ccp_assets.demo.sink import DemoRun, Sink
    from ccp_assets.sources.codex.source import SOURCE

    sink = Sink(home.path.parent / "demo")
    days = [dt.date(2025, 11, 3) + dt.timedelta(days=k) for k in range(3)]
    env = SOURCE.write_demo(DemoRun(sink, home.path, 7, days, 1))
    sink.close()
    return env


def test_the_source_and_its_demo(codex_home: CodexHome) -> None:
    from ccp_assets.sources.codex.source import SOURCE

    assert (SOURCE.name, SOURCE.rows_source, SOURCE.agent, SOURCE.calls) == ("codex", "codex", "codex", "own")
    assert set(SOURCE.checked_tables) <= set(SOURCE.tables)
    assert SOURCE.prices is not None and SOURCE.prices.name == "prices.json"
    assert _demo(codex_home) == {"CODEX_HOME": str(codex_home.path)}
    files = SOURCE.files(None)
    assert len(files) >= 6 and all("/sessions/2025/11/0" in str(f) for f in files)
    report = run_pipeline()
    assert [d["date"] for d in report["daily"]] == ["2025-11-03", "2025-11-04", "2025-11-05"]
    assert all(d["totalTokens"] > 0 and d["costUSD"] > 0 for d in report["daily"])


@needs_ccusage
def test_ccusage_counts_the_demo_the_same(codex_home: CodexHome) -> None:
    _demo(codex_home)
    got, want = run_pipeline(), run_ccusage(codex_home.path)
    assert by_day(got) == by_day(want)
    assert [round(d["costUSD"], 9) for d in got["daily"]] == [round(d["costUSD"], 9) for d in want["daily"]]


def test_a_day_with_a_session_meta_line_expects_a_session_row(fixture_home: CodexHome) -> None:
    from ccp_assets.checks.drift import EXPECTED_ROWS_FILTER
    from ccp_assets.settings import load_settings
    from ccp_assets.sources.landing import day_files, landed_days
    from tests.helpers import query

    run_pipeline()
    settings = load_settings()
    flt = EXPECTED_ROWS_FILTER[("sessions", "codex")]
    files = day_files(settings, "codex", landed_days(settings, "codex"))
    expected = query(f"SELECT DISTINCT day::VARCHAR FROM read_parquet(?, hive_partitioning = true) WHERE {flt}",
                     [files])
    assert expected and set(expected) <= set(query("SELECT DISTINCT day::VARCHAR FROM sessions"))
