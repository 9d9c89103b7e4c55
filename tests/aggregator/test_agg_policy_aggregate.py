"""Policy packs (serve the newest, operator upload, no rollback), the daily aggregate, the issuer mount."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from ccp_assets.aggregator.app import create_app
from ccp_assets.aggregator.issuer import IssuerState
from ccp_assets.licensing import verify_pack, verify_policy
from ccp_assets.licensing.issuing import mint_policy
from ccp_assets.licensing.keyring import keyring_from_file

from .conftest import Operator, base_config, headers, summary

TOKEN = "operator-token-0123456789"


def policy(operator: Operator, version: int, **kw: Any) -> bytes:
    pack = mint_policy(
        operator.key,
        operator.kid,
        version,
        30,
        allowed_models={"pro": ["claude-*", "glm-*"]},
        retention_days=kw.pop("retention_days", 30),
        redaction_rules=[],
        upload_limits={},
        **kw,
    )
    return json.dumps(pack, indent=2).encode()


def test_policy_404_then_newest_pack(serve, operator: Operator, tmp_path: Path) -> None:
    agg = serve(operator_token=TOKEN)
    with agg.client() as c:
        r = c.get("/v1/policy")
        assert r.status_code == 404 and "no policy pack" in r.json()["detail"]
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert c.put("/v1/policy", content=policy(operator, 2), headers=auth).status_code == 201
        assert c.put("/v1/policy", content=policy(operator, 5), headers=auth).status_code == 201
        rollback = c.put("/v1/policy", content=policy(operator, 4), headers=auth)
        assert rollback.status_code == 409 and "not newer" in rollback.json()["detail"]
        assert (
            c.put(
                "/v1/policy", content=policy(operator, 9), headers={"Authorization": "Bearer wrong"}
            ).status_code
            == 401
        )
        assert (
            c.put("/v1/policy", content=b'{"policy": {}, "signature": ""}', headers=auth).status_code == 400
        )
        served = c.get("/v1/policy")
    assert served.status_code == 200 and served.headers["ETag"] == '"policy-v5"'
    got = verify_policy(served.content, now=time.time(), keyring=keyring_from_file(operator.keys_file))
    assert got.version == 5


def test_policy_file_at_start_and_restart_keeps_newest(serve, operator: Operator, tmp_path: Path) -> None:
    old, new = tmp_path / "p3.json", tmp_path / "p7.json"
    old.write_text(policy(operator, 3).decode())
    new.write_text(policy(operator, 7).decode())
    agg = serve(policy_file=new)
    with agg.client() as c:
        assert json.loads(c.get("/v1/policy").content)["policy"]["version"] == 7
        assert c.put("/v1/policy", content=policy(operator, 8)).status_code == 403  # no operator token
    agg.stop()
    agg2 = serve(policy_file=old)  # an older file does not roll the stored policy back
    with agg2.client() as c:
        assert json.loads(c.get("/v1/policy").content)["policy"]["version"] == 7


def test_bad_policy_file_stops_start(operator: Operator, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"policy": {"version": 1}, "signature": "AAAA"}')
    try:
        create_app(base_config(tmp_path, operator, policy_file=bad))
    except ValueError as e:
        assert "policy pack" in str(e)
    else:
        raise AssertionError("a bad policy pack must stop the start")


def test_daily_aggregate(agg, operator: Operator) -> None:
    a, b = operator.header(license_id="lic-a"), operator.header(license_id="lic-b")
    with agg.client() as c:

        def up(lic: str, key: str, doc: dict) -> None:
            assert c.post("/v1/metrics", headers=headers(lic, key), json=doc).status_code == 202

        up(a, "a1", summary("2026-02-14", sessions=1))
        up(a, "a2", summary("2026-02-14", sessions=2))  # re-materialized day: replaces a1 in the sums
        up(b, "b1", summary("2026-02-14", sessions=10, tokens_by_model={"glm-4.6": 6}, cost_usd_by_model={}))
        up(b, "b2", summary("2026-02-15", turns=1))
        up(b, "b3", summary("2026-W07"))  # weekly rollups are stored but are not days
        assert c.get("/v1/aggregate/daily").status_code == 401
        r = c.get(
            "/v1/aggregate/daily",
            headers={"X-CCP-License": a},
            params={"since": "2026-02-14", "until": "2026-02-14"},
        )
        assert (
            c.get("/v1/aggregate/daily", headers={"X-CCP-License": a}, params={"since": "14/02"}).status_code
            == 400
        )
    assert r.status_code == 200, r.text
    [day] = r.json()["days"]
    assert day["date"] == "2026-02-14" and day["uploads"] == 3 and day["licenses"] == 2
    assert day["sessions"] == 12 and day["turns"] == 424 and day["features_shipped"] == 6
    assert day["tokens_by_model"] == {"claude-sonnet-4-5-20250929": 2112, "glm-4.6": 1240}
    assert day["cost_usd_by_model"] == {"claude-sonnet-4-5-20250929": 1.25, "glm-4.6": 0.5}
    assert day["cost_usd"] == 1.75


def test_issuer_is_mounted_when_configured(serve, operator: Operator, tmp_path: Path) -> None:
    invites = tmp_path / "invites.json"
    invites.write_text(
        json.dumps({"invites": {"PRO": {"plan": "pro", "features": ["telemetry_full"], "days": 7}}})
    )
    key_file = tmp_path / "operator" / f"{operator.kid}.key"
    state = IssuerState.from_env({"CCP_ISSUER_KEY": str(key_file), "CCP_ISSUER_INVITES": str(invites)})
    agg = serve(issuer=state)
    with agg.client() as c:
        issued = c.post("/v1/license/issue", json={"invite_code": "PRO"})
        assert issued.status_code == 200, issued.text
        pack = issued.json()["license_pack"]
        lic = verify_pack(
            pack, now=issued.json()["exp"] - 3600, keyring=keyring_from_file(operator.keys_file)
        )
        assert lic.has("telemetry_full")
        up = c.post(
            "/v1/events", headers=headers(base64.b64encode(pack.encode()).decode()), json={"events": [{}]}
        )
        assert up.status_code == 202, up.text
