"""Pricing a range of days in one pass (issue 16) counts each day exactly as pricing that day alone: the ±1 day
windows that decide whether a proxy completion or a CCC turn is already counted are per call, across the range's
own days (a proxy line logged after midnight for yesterday's transcript call; a CCC session whose transcript
starts the next day)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ccp_assets.assets.measurements.by_source import cost_by_source
from ccp_assets.measurements.usage import price_day, price_days
from ccp_assets.warehouse.resource import warehouse_for

D1, D2 = date(2026, 1, 5), date(2026, 1, 6)
SONNET = "claude-sonnet-4-5"  # $3 per M input tokens, $15 per M output tokens (pricing/prices_v1.json)
TURNS = [  # turn_id, source, day, session, event, tokens in, tokens out
    ("c1", "claude_code", D1, "s1", None, 1000, 500),
    ("k1", "ccc", D1, "s2", None, 400, 40),  # session s2's transcript is on D2: counted there, not here
    ("k2", "ccc", D1, "s3", None, 300, 30),  # no transcript: counted
    ("c2", "claude_code", D2, "s2", None, 100, 10),
    ("p1", "ccp_proxy", D2, None, "completion", 1000, 500),  # the proxy's line of c1, logged after midnight
    ("p2", "ccp_proxy", D2, None, "completion", 2000, 100),  # no transcript has it: proxy-only
]


def _usd(i: int, o: int) -> float:
    return (i * 3 + o * 15) / 1e6


def _world(conn) -> None:
    conn.executemany(
        "INSERT INTO turns (turn_id, source, day, ts, session_id, event, model, provider, tokens_in, tokens_out) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'anthropic', ?, ?)",
        [[t, s, d, datetime(d.year, d.month, d.day, 0, 5, tzinfo=UTC), ses, ev, SONNET, i, o]
         for t, s, d, ses, ev, i, o in TURNS])
    conn.executemany(
        "INSERT INTO unified_turns (turn_id, day, claude_code_turn_id, proxy_turn_id, sources) VALUES (?, ?, ?, ?, ?)",
        [["c1", D1, "c1", "p1", ["claude_code", "ccp_proxy"]], ["c2", D2, "c2", None, ["claude_code"]],
         ["p2", D2, None, "p2", ["ccp_proxy"]]])


def _priced(conn) -> list[tuple]:
    return conn.execute("SELECT * FROM priced_turns ORDER BY day, turn_id").fetchall()


def test_a_range_priced_at_once_counts_each_day_as_that_day_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("CCP_HOME", str(tmp_path))
    with warehouse_for(tmp_path / "together.duckdb").connect() as together, \
            warehouse_for(tmp_path / "alone.duckdb").connect() as alone:
        _world(together)
        summary = price_days(together, [str(D1), str(D2)])
        assert {d: (s["turns"], s["unpriced"]) for d, s in summary.items()} == {str(D1): (2, []), str(D2): (2, [])}
        assert summary[str(D1)]["estimated_usd"] == pytest.approx(_usd(1000, 500) + _usd(300, 30), abs=1e-12)
        assert summary[str(D2)]["estimated_usd"] == pytest.approx(_usd(100, 10) + _usd(2000, 100), abs=1e-12)
        assert cost_by_source(together, D1) == {"ccc": round(_usd(300, 30), 6),
                                                "claude_code": round(_usd(1000, 500), 6)}
        assert cost_by_source(together, D2) == {"ccp_proxy_only": round(_usd(2000, 100), 6),
                                                "claude_code": round(_usd(100, 10), 6)}
        _world(alone)
        for d in (D2, D1):
            price_day(alone, str(d))
        assert _priced(alone) == _priced(together) and len(_priced(together)) == 4
