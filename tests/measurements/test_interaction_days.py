"""interaction_daily over many days at once (issue 16): the step reads the landed Claude Code lines once per batch
of days, yet each day keeps its own window (its lines and the day before's) and its own `earlier` rule. One real
Dagster run over 2025-03-03 .. 2025-03-10, then the same days recomputed with batches of 1, 2, 3 and 8 days: every
batching gives the hand-worked rows, also where a midnight or a long pause falls on a batch boundary."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from ccp_assets.measurements import interaction
from ccp_assets.settings import load_settings
from tests.helpers import materialize_all, query
from tests.measurements.conftest import Transcript, isolated_env, utc

DAYS = [f"2025-03-{d:02d}" for d in range(3, 11)]

# worked by hand from the transcripts below: (day, session, prompts, idle prompts, minutes)
EXPECTED = [
    (date(2025, 3, 3), "sess-old", 1, 0, 0.0),            # first prompt of a new session: 0
    (date(2025, 3, 4), "sess-mid", 1, 0, 0.0),            # first prompt at 23:58
    (date(2025, 3, 5), "sess-mid", 1, 0, 2.0),            # 00:01, answered at 23:59 the evening before: 120 s
    (date(2025, 3, 6), "sess-old", 2, 1, 5.0 + 0.5),      # seen on 03-03 (before the day before): capped 5 min;
                                                          # then 30 s after the answer of 10:00:30
    (date(2025, 3, 9), "sess-mid", 1, 1, 5.0),            # last seen 03-05 (before the day before): capped
    (date(2025, 3, 10), "sess-mid", 1, 0, 1.5),           # 00:00:30, answered at 23:59:00 on 03-09: 90 s
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("interaction_days")
    old, mid = Transcript("sess-old"), Transcript("sess-mid")
    old.prompt(utc(2025, 3, 3, 9), "start")
    old.answer(utc(2025, 3, 3, 9, 1))
    old.prompt(utc(2025, 3, 6, 10), "back after days")   # no output on 03-05 or 03-06 before it
    old.answer(utc(2025, 3, 6, 10, 0, 30))
    old.prompt(utc(2025, 3, 6, 10, 1), "next")
    old.answer(utc(2025, 3, 6, 10, 2))
    mid.prompt(utc(2025, 3, 4, 23, 58), "late")
    mid.answer(utc(2025, 3, 4, 23, 59))
    mid.prompt(utc(2025, 3, 5, 0, 1), "after midnight")
    mid.answer(utc(2025, 3, 5, 0, 2))
    mid.prompt(utc(2025, 3, 9, 23, 58), "days later")
    mid.answer(utc(2025, 3, 9, 23, 59))
    mid.prompt(utc(2025, 3, 10, 0, 0, 30), "after midnight again")
    mid.answer(utc(2025, 3, 10, 0, 1))
    claude = tmp / "claude"
    old.write(claude)
    mid.write(claude)
    with isolated_env(tmp, {"CLAUDE_CONFIG_DIR": str(claude)}) as home:
        outcome = materialize_all(DAYS[0], DAYS[-1])
        assert outcome is not None and outcome.success
        yield home


def _rows() -> list[tuple]:
    return query("SELECT day, session_id, prompts, idle_prompts, interaction_minutes FROM interaction_daily "
                 "ORDER BY day, session_id")


def test_the_run_gives_the_hand_worked_rows(built):
    assert _rows() == [(*r[:4], pytest.approx(r[4], abs=1e-9)) for r in EXPECTED]


@pytest.mark.parametrize("batch", [1, 2, 3, 8])
def test_every_batching_gives_the_same_rows(built, batch, monkeypatch):
    monkeypatch.setattr(interaction, "BATCH_DAYS", batch)
    settings = load_settings()
    conn = duckdb.connect(str(settings.warehouse_path))
    try:
        conn.execute("DELETE FROM interaction_daily")
        out = interaction.interaction_days(conn, settings, list(reversed(DAYS)))
    finally:
        conn.close()
    assert _rows() == [(*r[:4], pytest.approx(r[4], abs=1e-9)) for r in EXPECTED]
    assert {d: o["sessions"] for d, o in out.items()} == {d: sum(str(r[0]) == d for r in EXPECTED) for d in DAYS}
    assert out["2025-03-07"] == {"sessions": 0, "minutes": None, "transcripts": True}   # 03-06 landed
    assert out["2025-03-08"] == {"sessions": 0, "minutes": None, "transcripts": False}  # nothing on 03-07/08
