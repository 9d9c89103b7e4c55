"""Issue 18, the team view, on SQLite and on PostgreSQL: two installs, each with half of the real Claude Code
fixture transcripts, materialize with the real graph and upload their minimized summaries with the real
client; `GET /v1/team/daily` then equals ccusage's daily report over ALL the transcripts (the outside
oracle, tests/fixtures/claude-code/ccusage-daily-utc.json), per day x model, listing both devices.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import load_oracle

from .conftest import Operator, Served, encode, headers
from .team_installs import OPERATOR_TOKEN, Install, installs

TOKEN_FIELDS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
OP = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.fixture
def team(serve: Callable[..., Served], operator: Operator, half_homes, tmp_path: Path) -> tuple[Served, list[Install]]:
    agg = serve(operator_token=OPERATOR_TOKEN)
    both = installs(half_homes, tmp_path, operator)
    for install in both:
        install.upload(operator, agg.url, tmp_path)
    return agg, both


def ids(devices: list[dict[str, Any]]) -> list[str]:
    return [d["device"] for d in devices]


def breakdowns(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["period"], m["modelName"]): m for r in rows for m in r["modelBreakdowns"]}


def assert_equals_ccusage(ours: list[dict[str, Any]], oracle: list[dict[str, Any]]) -> None:
    """Tokens exactly, cost within half a percent (the project's ccusage parity rule), per period x model
    and per period."""
    want, got = breakdowns(oracle), breakdowns(ours)
    assert sorted(got) == sorted(want)
    for key, m in want.items():
        assert {f: got[key][f] for f in TOKEN_FIELDS} == {f: m[f] for f in TOKEN_FIELDS}, key
        assert abs(got[key]["cost"] - m["cost"]) <= 0.005 * m["cost"], key
    by_period = {r["period"]: r for r in ours}
    for r in oracle:
        mine = by_period[r["period"]]
        assert {f: mine[f] for f in (*TOKEN_FIELDS, "totalTokens")} == {f: r[f] for f in (*TOKEN_FIELDS, "totalTokens")}
        assert abs(mine["totalCost"] - r["totalCost"]) <= 0.005 * r["totalCost"]
        assert mine["modelsUsed"] == r["modelsUsed"]


def test_two_installs_sum_to_ccusage_over_all_transcripts_with_both_devices(team) -> None:
    agg, (a, b) = team
    dev_a, dev_b = a.expected_device_id(), b.expected_device_id()
    assert dev_a != dev_b  # two installs on one machine are two devices
    with agg.client() as c:
        daily = c.get("/v1/team/daily", headers=OP)
        weekly = c.get("/v1/team/weekly", headers=OP).json()
        monthly = c.get("/v1/team/monthly", headers=OP).json()
    assert daily.status_code == 200, daily.text
    body = daily.json()
    assert body["teams"] == ["acme"]
    assert_equals_ccusage(body["daily"], load_oracle("ccusage-daily-utc.json")["daily"])
    assert_equals_ccusage(weekly["weekly"], load_oracle("ccusage-weekly-utc.json")["weekly"])
    assert_equals_ccusage(monthly["monthly"], load_oracle("ccusage-monthly-utc.json")["monthly"])
    devices = {r["period"]: ids(r["devices"]) for r in body["daily"]}
    assert devices == {"2026-02-10": sorted([dev_a, dev_b]), "2026-02-12": [dev_a]}
    assert ids(body["devices"]) == ids(weekly["weekly"][0]["devices"]) == sorted([dev_a, dev_b])
    # each device's share adds up to the day (b only had 2026-02-10)
    for r in body["daily"]:
        assert sum(d["totalTokens"] for d in r["devices"]) == r["totalTokens"]
        assert sum(d["totalCost"] for d in r["devices"]) == pytest.approx(r["totalCost"], abs=1e-6)
    totals = load_oracle("ccusage-daily-utc.json")["totals"]
    assert {f: body["totals"][f] for f in TOKEN_FIELDS} == {f: totals[f] for f in TOKEN_FIELDS}
    # no machine id travels: the stored payloads hold the keyed device ids only
    machine = Path("/etc/machine-id").read_text().strip() if Path("/etc/machine-id").exists() else None
    if machine:
        assert machine not in json.dumps(body)
    # the same report from one filter on the org, and nothing for another team
    with agg.client() as c:
        only = c.get("/v1/team/daily", params={"team": "acme", "since": "2026-02-11"}, headers=OP).json()
        other = c.get("/v1/team/daily", params={"team": "other-org"}, headers=OP).json()
    assert [r["period"] for r in only["daily"]] == ["2026-02-12"] and other["daily"] == []


def test_a_re_upload_changes_nothing_and_a_late_day_replaces_the_devices_earlier_summary(
    team, operator: Operator, tmp_path: Path
) -> None:
    agg, (a, b) = team
    with agg.client() as c:
        before = c.get("/v1/team/daily", headers=OP).json()
    report = a.upload(operator, agg.url, tmp_path)  # the client again: nothing new to send
    assert not report.with_outcome("sent")
    sent = a.sent_bodies()
    lic = encode(a.pack)
    with agg.client() as c:
        # the same day re-sent under a new key (a re-materialized day with the same numbers)
        again = c.post("/v1/metrics", content=sent["2026-02-10"], headers=headers(lic, key="resend-1"))
        assert again.status_code == 202 and not again.headers.get("Idempotent-Replayed")
        assert c.get("/v1/team/daily", headers=OP).json()["daily"] == before["daily"]
        # a late day: device a re-materialized 2026-02-10 with more opus output and cost
        old = json.loads(sent["2026-02-10"])
        late = json.loads(sent["2026-02-10"])
        opus = "claude-opus-4-6"
        late["tokens_by_model"][opus]["output"] += 1000
        late["tokens_by_model"][opus]["total"] += 1000
        late["cost_usd_by_model"][opus] = round(late["cost_usd_by_model"][opus] + 2.5, 6)
        r = c.post("/v1/metrics", json=late, headers=headers(lic, key="late-1"))
        assert r.status_code == 202
        after = c.get("/v1/team/daily", headers=OP).json()
    day_before = breakdowns(before["daily"])[("2026-02-10", opus)]
    day_after = breakdowns(after["daily"])[("2026-02-10", opus)]
    # by hand: b's part stays, a's old part is replaced by its late part (never added on top)
    assert day_after["outputTokens"] == day_before["outputTokens"] + 1000
    assert day_after["cost"] == pytest.approx(
        day_before["cost"] - old["cost_usd_by_model"][opus] + late["cost_usd_by_model"][opus], abs=1e-6
    )
    assert day_after["inputTokens"] == day_before["inputTokens"]
    assert [r for r in after["daily"] if r["period"] == "2026-02-12"] == [
        r for r in before["daily"] if r["period"] == "2026-02-12"
    ]
    assert {r["period"]: ids(r["devices"]) for r in after["daily"]} == {
        r["period"]: ids(r["devices"]) for r in before["daily"]
    }


def test_the_team_view_needs_the_operator_token(serve: Callable[..., Served]) -> None:
    off = serve()
    on = serve(operator_token=OPERATOR_TOKEN)
    with httpx.Client(timeout=30) as c:
        assert c.get(f"{off.url}/v1/team/daily", headers=OP).status_code == 403
        assert c.get(f"{on.url}/v1/team/daily").status_code == 401
        wrong = c.get(f"{on.url}/team", headers={"Authorization": "Bearer wrong-token-wrong-token"})
        assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
        assert c.get(f"{on.url}/team", auth=("anyone", OPERATOR_TOKEN)).status_code == 200
        assert c.get(f"{on.url}/v1/team/daily", params={"since": "2026-13-01"}, headers=OP).status_code == 400


def test_a_license_without_org_is_its_own_team_and_efficiency_is_recomputed_from_sums(
    serve: Callable[..., Served], operator: Operator
) -> None:
    agg = serve(operator_token=OPERATOR_TOKEN)
    dev = ["1" * 32, "2" * 32]
    # device 1: 1 feature on 1 pp (E = 1); device 2: 9 features on 90 pp (E = 0.1), quality 0.5
    summaries = [
        {"date": "2026-02-14", "device_id": dev[0], "cost_usd_by_model": {"claude-opus-4-6": 1.0},
         "efficiency_by_provider": {"claude": {"features": 1, "capacity": 1, "capacity_unit": "pp", "e": 1, "e_q": 1}}},
        {"date": "2026-02-14", "device_id": dev[1], "cost_usd_by_model": {"claude-opus-4-6": 3.0},
         "efficiency_by_provider": {"claude": {"features": 9, "capacity": 90, "capacity_unit": "pp", "e": 0.1,
                                               "e_q": 0.05}}},
    ]
    with agg.client() as c:
        for i, (doc, org) in enumerate(zip(summaries, ("acme", None), strict=True)):
            lic = operator.header(license_id=f"lic-{i}", org=org)
            assert c.post("/v1/metrics", json=doc, headers=headers(lic, key=f"k{i}")).status_code == 202
        teams = c.get("/v1/team/daily", headers=OP).json()
        acme = c.get("/v1/team/daily", params={"team": "acme"}, headers=OP).json()
    assert teams["teams"] == ["acme", f"{operator.kid}/lic-1"]
    assert ids(acme["devices"]) == [dev[0]] and acme["daily"][0]["totalCost"] == 1
    day = teams["daily"][0]
    # (1 + 9) / (1 + 90), never (1 + 0.1) / 2; E_q = (1*1 + 0.05*90) / 91
    assert day["efficiency_by_provider"]["claude"]["e"] == round(10 / 91, 6)
    assert day["efficiency_by_provider"]["claude"]["e_q"] == round(5.5 / 91, 6)
    assert day["model_mix"]["claude-opus-4-6"]["cost"] == 1.0 and day["totalCost"] == 4
    assert day["devices"] == [
        {"device": dev[0], "totalTokens": 0, "totalCost": 1, **dict.fromkeys(TOKEN_FIELDS, 0)},
        {"device": dev[1], "totalTokens": 0, "totalCost": 3, **dict.fromkeys(TOKEN_FIELDS, 0)},
    ]
