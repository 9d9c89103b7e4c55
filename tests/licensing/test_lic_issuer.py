"""The issuer router (operator side): invite codes, device codes, approval, throttling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ccp_assets.aggregator.issuer import IssuerState, issuer_router, parse_invites
from ccp_assets.licensing import verify_pack
from ccp_assets.licensing.issuing import keygen, load_private_key
from ccp_assets.licensing.keyring import keyring_from_file

from .lic_helpers import DEVICE, NOW, FakeClock

INVITES = {
    "invites": {
        "PRO-2026": {"plan": "pro", "features": ["telemetry_minimized", "telemetry_full"], "days": 30},
        "ONCE": {"plan": "trial", "features": ["telemetry_minimized"], "days": 7, "max_uses": 1},
        "OLD": {"plan": "pro", "features": [], "days": 7, "expires": "2026-01-01"},
    }
}


@pytest.fixture
def issuer(tmp_path: Path, fake_clock: FakeClock) -> tuple[IssuerState, TestClient, object]:
    key_path, pub_path = keygen("issuer-1", tmp_path / "op")
    invites = tmp_path / "invites.json"
    invites.write_text(json.dumps(INVITES))
    state = IssuerState.from_files(key_path, invites, operator_token="op-secret", interval=5, code_ttl_s=60)
    app = FastAPI()
    app.include_router(issuer_router(state))
    return state, TestClient(app), keyring_from_file(pub_path)


def test_issue_direct(issuer) -> None:
    state, client, ring = issuer
    r = client.post(
        "/v1/license/issue", json={"invite_code": "PRO-2026", "email": "a@b.example", "device": DEVICE}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["plan"] == "pro"
        and body["kid"] == "issuer-1"
        and body["features"] == ["telemetry_minimized", "telemetry_full"]
    )
    lic = verify_pack(body["license_pack"], now=NOW, keyring=ring, device_hash=DEVICE)
    assert lic.device == DEVICE and lic.exp == body["exp"] and lic.iat == int(NOW)
    assert "a@b.example" not in body["license_pack"]  # the email never goes into the license


def test_invite_limits(issuer) -> None:
    _, client, _ = issuer
    assert client.post("/v1/license/issue", json={"invite_code": "ONCE"}).status_code == 200
    r = client.post("/v1/license/issue", json={"invite_code": "ONCE"})
    assert r.status_code == 403 and "used up" in r.json()["detail"]
    r = client.post("/v1/license/issue", json={"invite_code": "OLD"})
    assert r.status_code == 403 and "expired" in r.json()["detail"]


def test_malformed_requests_are_400_or_413(issuer) -> None:
    _, client, _ = issuer
    assert client.post("/v1/license/issue", content=b"{nope").status_code == 400
    assert (
        client.post("/v1/license/issue", json={"invite_code": "PRO-2026", "device": "xyz"}).status_code == 400
    )
    assert client.post("/v1/device/poll", json={}).status_code == 400
    assert client.post("/v1/license/issue", content=b"x" * 10_000).status_code == 413


def test_bad_codes_are_throttled_with_retry_after(issuer, fake_clock: FakeClock) -> None:
    _, client, _ = issuer
    for _ in range(5):
        assert client.post("/v1/license/issue", json={"invite_code": "guess"}).status_code == 403
    r = client.post("/v1/license/issue", json={"invite_code": "PRO-2026"})
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    for path, body in (
        ("/v1/device/poll", {"poll_token": "x"}),
        ("/v1/device/begin", {"invite_code": "PRO-2026"}),
    ):
        assert client.post(path, json=body).status_code == 429
    fake_clock.t += 61
    assert client.post("/v1/license/issue", json={"invite_code": "PRO-2026"}).status_code == 200


def test_device_flow(issuer, fake_clock: FakeClock) -> None:
    state, client, ring = issuer
    r = client.post("/v1/device/begin", json={"invite_code": "PRO-2026", "device": DEVICE})
    assert r.status_code == 200, r.text
    begin = r.json()
    assert begin["interval"] == 5 and begin["expires_in"] == 60
    assert begin["verification_url"].endswith("/v1/device/verify") and len(begin["user_code"]) == 9
    poll = {"poll_token": begin["poll_token"]}
    assert client.post("/v1/device/poll", json=poll).json() == {"status": "pending"}
    r = client.post("/v1/device/poll", json=poll)  # again at once: slow down
    assert r.status_code == 429 and r.headers["Retry-After"] == "5"
    page = client.get("/v1/device/verify", params={"user_code": begin["user_code"].lower().replace("-", "")})
    assert page.status_code == 200 and "waiting for approval" in page.text
    assert state.pending_user_codes() == [begin["user_code"]]
    state.approve(begin["user_code"])
    fake_clock.t += 5
    ok = client.post("/v1/device/poll", json=poll).json()
    assert ok["status"] == "ok" and ok["plan"] == "pro"
    assert (
        verify_pack(ok["license_pack"], now=fake_clock.t, keyring=ring, device_hash=DEVICE).device == DEVICE
    )
    verify_json = client.get(
        "/v1/device/verify", params={"user_code": begin["user_code"]}, headers={"accept": "application/json"}
    )
    assert verify_json.json()["status"] == "approved"
    fake_clock.t += 60
    assert client.post("/v1/device/poll", json=poll).status_code == 410


def test_unknown_and_expired_codes(issuer, fake_clock: FakeClock) -> None:
    state, client, _ = issuer
    assert client.post("/v1/device/poll", json={"poll_token": "nope"}).status_code == 404
    assert client.post("/v1/device/begin", json={"invite_code": "nope"}).status_code == 403
    begin = client.post("/v1/device/begin", json={"invite_code": "PRO-2026"}).json()
    fake_clock.t += 61
    assert client.post("/v1/device/poll", json={"poll_token": begin["poll_token"]}).status_code == 410
    assert (
        client.get(
            "/v1/device/verify",
            params={"user_code": begin["user_code"]},
            headers={"accept": "application/json"},
        ).json()["status"]
        == "expired"
    )
    assert client.get("/v1/device/verify", params={"user_code": "BBBB-BBBB"}).status_code == 404
    assert state.pending_user_codes() == []


def test_http_approval_needs_the_operator_token(issuer, fake_clock: FakeClock) -> None:
    state, client, _ = issuer
    begin = client.post("/v1/device/begin", json={"invite_code": "PRO-2026"}).json()
    body = {"user_code": begin["user_code"]}
    assert client.post("/v1/device/approve", json=body).status_code == 401
    assert (
        client.post("/v1/device/approve", json=body, headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    r = client.post("/v1/device/approve", json=body, headers={"Authorization": "Bearer op-secret"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    state.operator_token = None
    assert (
        client.post(
            "/v1/device/approve", json=body, headers={"Authorization": "Bearer op-secret"}
        ).status_code
        == 403
    )
    assert client.get("/v1/device/verify").status_code == 200


def test_from_env_and_invite_file_validation(tmp_path: Path) -> None:
    assert IssuerState.from_env({}) is None
    key_path, _ = keygen("env-kid", tmp_path)
    inv = tmp_path / "inv.json"
    inv.write_text(json.dumps(INVITES))
    state = IssuerState.from_env({"CCP_ISSUER_KEY": str(key_path), "CCP_ISSUER_INVITES": str(inv)})
    assert state is not None and state.kid == "env-kid" and state.operator_token is None
    assert load_private_key(key_path)
    with pytest.raises(ValueError, match="plan must be one of"):
        parse_invites({"invites": {"X": {"plan": "gold"}}})
    with pytest.raises(ValueError, match="invite file must be"):
        parse_invites([])
