"""`ccp report codex daily --json` (the registry's agent report, through a real Dagster run) against ccusage
20.0.24's saved Codex answer for the fixture's 2025-10-01 (two rollouts: a model switch, a repeated line, an
archived copy): tokens per model exact, the day's cost within 1%."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import CcpEnv
from tests.helpers import ccp
from tests.sources.codex.conftest import FIXTURE

DAY = "2025-10-01"


def test_ccp_report_codex_daily_equals_ccusage(ccp_env: CcpEnv) -> None:
    home = ccp_env.tmp / "codex"
    for rel in (f"sessions/{DAY.replace('-', '/')}", f"archived_sessions/{DAY.replace('-', '/')}"):
        shutil.copytree(FIXTURE / "home" / rel, home / rel)
    env = {**ccp_env.env, "CODEX_HOME": str(home)}
    got = json.loads(ccp(env, "report", "codex", "daily", "--json", "--offline").stdout)
    want = next(d for d in json.loads((FIXTURE / "ccusage" / "daily_UTC.json").read_text())["daily"]
                if d["date"] == DAY)
    # ccusage's own `codex daily` shape: the same keys per day and per model, tokens exact, cost within 1%
    (row,) = got["daily"]
    assert set(row) == set(want) and row["date"] == DAY
    assert {k: v for k, v in row.items() if k not in ("costUSD", "models")} == {
        k: v for k, v in want.items() if k not in ("costUSD", "models")}
    assert {m: {k: v for k, v in r.items() if k != "costUSD"} for m, r in row["models"].items()} == {
        m: {k: v for k, v in r.items() if k != "costUSD"} for m, r in want["models"].items()}
    assert row["costUSD"] == pytest.approx(want["costUSD"], rel=0.01)
    assert got["totals"]["totalTokens"] == want["totalTokens"]
    # the plain report reads every agent: the Codex day is there, named by its agent
    plain = json.loads(ccp(env, "report", "daily", "--json", "--offline").stdout)
    (day,) = plain["daily"]
    assert (day["period"], day["metadata"]["agents"]) == (DAY, ["codex"])
    assert day["totalCost"] == pytest.approx(want["costUSD"], rel=0.01)
