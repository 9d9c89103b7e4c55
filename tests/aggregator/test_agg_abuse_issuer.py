"""Issue 14, the issuer under abuse over real HTTP on 127.0.0.1: a flood of device logins on one invite
locks out nobody else, single-use invites stay used across a restart, X-Forwarded-For is ignored unless
it comes from a configured proxy, and the operator token cannot be guessed at full speed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccp_assets.aggregator.issuer import IssuerState
from ccp_assets.licensing import clock
from ccp_assets.licensing.issuing import mint_policy

from .conftest import Operator, Served

INVITES = {
    "invites": {
        "TEAM-A": {"plan": "pro", "features": ["telemetry_full"], "days": 30},
        "TEAM-B": {"plan": "pro", "features": ["telemetry_minimized"], "days": 30, "org": "acme"},
        "ONCE": {"plan": "trial", "features": ["telemetry_minimized"], "days": 7, "max_uses": 1},
    }
}
OP_TOKEN = "issuer-operator-token-0123"
T0 = 1_780_000_000.0


@pytest.fixture
def with_issuer(serve: Callable[..., Served], operator: Operator, tmp_path: Path) -> Callable[..., Served]:
    """`with_issuer(**config)`: an aggregator with a fresh IssuerState (memory empty, as after a restart)
    on the test's database."""
    invites = tmp_path / "invites.json"
    invites.write_text(json.dumps(INVITES))
    key = tmp_path / "operator" / f"{operator.kid}.key"

    def start(issuer_kw: dict[str, Any] | None = None, **config: Any) -> Served:
        state = IssuerState.from_files(key, invites, operator_token=OP_TOKEN, **(issuer_kw or {}))
        return serve(issuer=state, **config)

    return start


def xff(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def login(c: httpx.Client, invite: str, **headers: str) -> dict[str, Any]:
    """A whole device login: begin, approve as the operator, poll once: the answer of the poll."""
    begin = c.post("/v1/device/begin", json={"invite_code": invite}, headers=headers)
    assert begin.status_code == 200, begin.text
    code = begin.json()["user_code"]
    approve = c.post(
        "/v1/device/approve",
        json={"user_code": code},
        headers={**headers, "Authorization": f"Bearer {OP_TOKEN}"},
    )
    assert approve.status_code == 200, approve.text
    poll = c.post("/v1/device/poll", json={"poll_token": begin.json()["poll_token"]}, headers=headers)
    assert poll.status_code == 200, poll.text
    return poll.json()


def test_a_flood_of_device_logins_on_one_invite_locks_out_nobody_else(
    with_issuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,000 `device/begin` on TEAM-A (from one client, then from 500 addresses behind the proxy) used to
    fill the issuer's global pending list and lock every device login out for ~70 min. Time stands still
    here, so no bucket refills and no code expires however slow the machine is."""
    monkeypatch.setattr(clock, "now", lambda: T0)
    agg = with_issuer(trusted_proxies=("127.0.0.1",))
    with agg.client() as c:
        one = [
            c.post("/v1/device/begin", json={"invite_code": "TEAM-A"}, headers=xff("198.51.100.7"))
            for _ in range(500)
        ]
        codes = [r.status_code for r in one]
        assert set(codes) == {200, 429} and codes.count(200) == 10  # that client's burst, then slow down
        assert all(int(r.headers["Retry-After"]) >= 1 for r in one if r.status_code == 429)
        many = [
            c.post(
                "/v1/device/begin", json={"invite_code": "TEAM-A"}, headers=xff(f"10.{i // 250}.{i % 250}.1")
            )
            for i in range(500)
        ]
        statuses = [r.status_code for r in many]
        assert set(statuses) == {200, 429}
        assert statuses.count(200) == 20 - 10  # TEAM-A's slots: 20 codes in flight at most
        assert "this invite code" in many[-1].json()["detail"]
        assert all(s < 500 for s in codes + statuses)
        # another invite, another client: a whole login still works during the flood
        ok = login(c, "TEAM-B", **xff("203.0.113.9"))
        assert ok["status"] == "ok" and ok["features"] == ["telemetry_minimized"]
        # TEAM-A itself frees up as its codes expire (expired codes never count)
        state: IssuerState = agg.app.state.config.issuer
        assert len([g for g in state.grants.values() if g.invite_code == "TEAM-A"]) == 20


def test_expired_codes_free_their_invite_slots(with_issuer, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [T0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    agg = with_issuer({"max_pending_per_invite": 3, "code_ttl_s": 60}, trusted_proxies=("127.0.0.1",))
    with agg.client() as c:
        for i in range(3):
            assert (
                c.post(
                    "/v1/device/begin", json={"invite_code": "TEAM-A"}, headers=xff(f"10.0.0.{i}")
                ).status_code
                == 200
            )
        full = c.post("/v1/device/begin", json={"invite_code": "TEAM-A"}, headers=xff("10.0.0.9"))
        assert full.status_code == 429 and 1 <= int(full.headers["Retry-After"]) <= 60
        now[0] += 61  # the three codes expire: they were counted for 70 min before
        assert (
            c.post("/v1/device/begin", json={"invite_code": "TEAM-A"}, headers=xff("10.0.0.9")).status_code
            == 200
        )


def test_single_use_invite_survives_a_restart_and_a_race(with_issuer, db_rows) -> None:
    first = with_issuer()
    with first.client() as c:
        answers: list[int] = []
        gate = threading.Barrier(6)

        def race() -> None:
            gate.wait()
            answers.append(c.post("/v1/license/issue", json={"invite_code": "ONCE"}).status_code)

        threads = [threading.Thread(target=race) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(answers) == [200] + [403] * 5
    first.stop()
    second = with_issuer()  # a new process would start exactly like this: nothing in memory
    with second.client() as c:
        again = c.post("/v1/license/issue", json={"invite_code": "ONCE"})
        assert again.status_code == 403 and "used up" in again.json()["detail"]
        assert c.post("/v1/device/begin", json={"invite_code": "ONCE"}).status_code == 403
        team_b = c.post("/v1/license/issue", json={"invite_code": "TEAM-B"})
        assert team_b.status_code == 200
        assert json.loads(team_b.json()["license_pack"])["license"]["org"] == "acme"  # issue 18: the team
    rows = db_rows("SELECT invite_id, uses FROM invite_uses ORDER BY uses")
    assert sorted(u for _, u in rows) == [1, 1]
    assert all(r[0].startswith("sha256:") and "ONCE" not in r[0] for r in rows)  # no usable code stored


def test_x_forwarded_for_is_ignored_by_default(with_issuer) -> None:
    """Rotating X-Forwarded-For from 127.0.0.1 used to give a fresh brute-force budget per request."""
    agg = with_issuer()
    with agg.client() as c:
        for i in range(5):
            r = c.post("/v1/license/issue", json={"invite_code": f"guess-{i}"}, headers=xff(f"10.9.0.{i}"))
            assert r.status_code == 403
        blocked = c.post("/v1/license/issue", json={"invite_code": "guess-x"}, headers=xff("10.9.0.99"))
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        assert (
            c.post("/v1/license/issue", json={"invite_code": "TEAM-A"}, headers=xff("10.9.1.1")).status_code
            == 429
        )


def test_x_forwarded_for_names_the_client_only_behind_a_configured_proxy(with_issuer) -> None:
    agg = with_issuer(trusted_proxies=("127.0.0.0/8",))
    with agg.client() as c:
        for i in range(5):
            assert (
                c.post(
                    "/v1/license/issue", json={"invite_code": f"g{i}"}, headers=xff("192.0.2.1")
                ).status_code
                == 403
            )
        assert (
            c.post("/v1/license/issue", json={"invite_code": "g"}, headers=xff("192.0.2.1")).status_code
            == 429
        )
        # a client cannot hide behind an address it writes itself: the proxy appends the real one
        spoof = xff("192.0.2.77, 192.0.2.1")
        assert c.post("/v1/license/issue", json={"invite_code": "TEAM-A"}, headers=spoof).status_code == 429
        other = c.post("/v1/license/issue", json={"invite_code": "TEAM-A"}, headers=xff("192.0.2.2"))
        assert other.status_code == 200, other.text


def test_wrong_operator_tokens_are_throttled_per_client(
    with_issuer, operator: Operator, tmp_path: Path
) -> None:
    token = "aggregator-operator-token-01"
    agg = with_issuer(operator_token=token)
    pack = mint_policy(
        operator.key,
        operator.kid,
        1,
        30,
        allowed_models={},
        retention_days=0,
        redaction_rules=[],
        upload_limits={},
    )
    with agg.client() as c:
        for i in range(5):
            r = c.put("/v1/policy", json=pack, headers={"Authorization": f"Bearer guess-{i}"})
            assert r.status_code == 401
        r = c.put("/v1/policy", json=pack, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1  # even the right token waits
        r = c.get("/v1/aggregate/daily", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 429
        # the issuer's own operator token (approve) is counted the same way
        begin = c.post("/v1/device/begin", json={"invite_code": "TEAM-A"}).json()
        for _ in range(5):
            r = c.post(
                "/v1/device/approve",
                json={"user_code": begin["user_code"]},
                headers={"Authorization": "Bearer x"},
            )
            assert r.status_code == 401
        r = c.post(
            "/v1/device/approve",
            json={"user_code": begin["user_code"]},
            headers={"Authorization": f"Bearer {OP_TOKEN}"},
        )
        assert r.status_code == 429
