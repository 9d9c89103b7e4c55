"""A source with nothing is judged without SQL (issue 16), and exactly as the full drift check would judge it.

`is_empty` is the proof (no landed line now or kept, nothing quarantined, no row, no earlier day with lines or
rows); with it the source's step writes the reports `evaluate_days` would have found, without profiling.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ccp_assets.checks.drift import evaluate_days
from ccp_assets.checks.normalized import _empty_reports, is_empty
from ccp_assets.settings import load_settings
from ccp_assets.sources.landing import LandingResult
from ccp_assets.sources.registry import SOURCES
from ccp_assets.warehouse.bulk import insert_rows
from ccp_assets.warehouse.resource import WarehouseResource

DAYS = ["2026-02-10", "2026-02-11", "2026-02-12"]
CODEX = next(s for s in SOURCES if s.name == "codex")


@pytest.fixture
def conn(ccp_env):  # noqa: ANN001, ANN201 - every source off (tests/conftest.py): nothing anywhere
    with WarehouseResource(database="").connect() as c:
        yield c


def _stats(conn) -> list[tuple]:  # noqa: ANN001
    return conn.execute("SELECT source, CAST(day AS VARCHAR), lines, quarantined, share FROM partition_stats "
                        "ORDER BY ALL").fetchall()


@pytest.mark.parametrize("table", CODEX.checked_tables)
def test_an_empty_source_gets_the_reports_and_stats_the_full_check_gives(conn, table):
    settings = load_settings()
    assert is_empty(conn, CODEX, settings, LandingResult(CODEX.name))
    short = [r.as_dict() for r in _empty_reports(conn, table, CODEX.rows_source, DAYS)]
    short_stats = _stats(conn)
    conn.execute("DELETE FROM partition_stats")
    full = [r.as_dict() for r in evaluate_days(conn, settings, table, CODEX.rows_source, DAYS)]
    assert short == full
    assert short_stats == _stats(conn) == [(CODEX.rows_source, d, 0, 0, 0.0) for d in DAYS]
    assert short[0]["passed"] and short[0]["stats"] == {
        "lines": 0, "expected_row_lines": 0, "quarantined": 0, "quarantine_share": 0.0,
        "trailing_median_share": None, "rows": 0}


def _quarantined(conn) -> None:  # noqa: ANN001
    insert_rows(conn, "quarantine", [{"source": CODEX.name, "stage": "landing", "kind": "invalid_json",
                                      "file": "/x.jsonl", "byte_offset": 0, "line_no": 1, "day": DAYS[0],
                                      "reason": "not JSON", "excerpt": "{", "state": "rejected",
                                      "recorded_at": datetime.now(UTC)}])


def _earlier_lines(conn) -> None:  # noqa: ANN001
    insert_rows(conn, "partition_stats", [{"source": CODEX.rows_source, "day": "2026-01-01", "lines": 3,
                                           "quarantined": 0, "share": 0.0}])


def _profiled(conn) -> None:  # noqa: ANN001
    insert_rows(conn, "column_profiles", [{"suite": "turns", "source": CODEX.rows_source, "day": "2026-01-01",
                                           "column": "model", "rows": 2, "nulls": 0, "passed": True}])


def _a_row(conn) -> None:  # noqa: ANN001
    conn.execute(f"INSERT INTO {CODEX.checked_tables[0]} (source, day) VALUES (?, ?)", [CODEX.rows_source, DAYS[1]])


@pytest.mark.parametrize("something", [_quarantined, _earlier_lines, _profiled, _a_row])
def test_anything_of_the_source_in_the_warehouse_means_not_empty(conn, something):
    settings = load_settings()
    something(conn)
    assert not is_empty(conn, CODEX, settings, LandingResult(CODEX.name))


def test_lines_landed_or_kept_mean_not_empty(conn):
    settings = load_settings()
    assert not is_empty(conn, CODEX, settings, LandingResult(CODEX.name, lines_landed=1))
    kept = settings.landing_dir / CODEX.name / f"day={DAYS[0]}"
    kept.mkdir(parents=True)
    conn.execute(f"COPY (SELECT 1 AS line) TO '{kept / 'b00000001_f0001_0.parquet'}' (FORMAT parquet)")
    assert not is_empty(conn, CODEX, settings, LandingResult(CODEX.name))
