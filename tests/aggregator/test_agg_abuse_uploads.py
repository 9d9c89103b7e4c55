"""Issue 14, the upload side: a reused Idempotency-Key with another body or on the other endpoint is 409
(Stripe's answer), the per-license storage quota and the retention come from the signed policy pack,
/healthz reports a disk about to fill, and the OpenAPI document declares every body and refusal."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccp_assets.licensing import clock
from ccp_assets.licensing.issuing import mint_policy

from .conftest import Operator, Served, headers, summary

DAY = 86400.0
T0 = 1_780_000_000.0


def policy_file(operator: Operator, tmp_path: Path, *, now: float, **over: Any) -> Path:
    values: dict[str, Any] = {
        "allowed_models": {},
        "retention_days": 0,
        "redaction_rules": [],
        "upload_limits": {},
    }
    values.update(over)
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(mint_policy(operator.key, operator.kid, 1, 365, now=now, **values)))
    return path


def test_a_key_reused_with_another_body_or_endpoint_is_409(agg: Served, operator: Operator) -> None:
    lic = operator.header()
    with agg.client() as c:
        first = c.post("/v1/metrics", headers=headers(lic, "k"), json=summary())
        assert first.status_code == 202
        other_body = c.post("/v1/metrics", headers=headers(lic, "k"), json=summary(sessions=99))
        assert other_body.status_code == 409 and "different body" in other_body.json()["detail"]
        other_path = c.post("/v1/events", headers=headers(lic, "k"), json={"events": [{"a": 1}]})
        assert other_path.status_code == 409 and "metrics upload" in other_path.json()["detail"]
        replay = c.post("/v1/metrics", headers=headers(lic, "k"), json=summary())
        assert replay.status_code == 202 and replay.json() == first.json()
        assert replay.headers["Idempotent-Replayed"] == "true"
    assert agg.counts()["uploads"] == 1 and agg.counts()["metrics"] == 1 and agg.counts()["events"] == 0


def test_the_policy_quota_caps_stored_bytes_per_license_gzip_included(
    serve, operator: Operator, tmp_path: Path
) -> None:
    """94 KB of gzip became 98.6 MB stored; now the policy's stored_bytes_per_license holds."""
    quota = 200_000
    agg = serve(
        policy_file=policy_file(
            operator, tmp_path, now=clock.now(), upload_limits={"stored_bytes_per_license": quota}
        )
    )
    lic, other = operator.header(), operator.header(license_id="lic-agg-2")
    event = {"kind": "turn", "text": "x" * 900}
    stored_one = len(json.dumps(event, separators=(",", ":")))  # the store keeps compact ASCII JSON
    batch = gzip.compress(json.dumps({"events": [event] * 100}).encode())
    assert len(batch) < 5_000  # a few KB on the wire ...
    with agg.client() as c:
        h = {"Content-Encoding": "gzip"}
        assert c.post("/v1/events", headers={**headers(lic, "b1"), **h}, content=batch).status_code == 202
        used = 100 * stored_one  # ... 90 KB stored
        second = c.post("/v1/events", headers={**headers(lic, "b2"), **h}, content=batch)
        assert second.status_code == 202 and used + 100 * stored_one <= quota
        third = c.post("/v1/events", headers={**headers(lic, "b3"), **h}, content=batch)
        assert third.status_code == 403, third.text
        assert f"{2 * used} of {quota} bytes" in third.json()["detail"]
        # nothing of the refused batch was stored or remembered; another license has its own quota
        assert agg.app.state.store.usage(_scope(lic)) == 2 * used
        assert c.post("/v1/events", headers={**headers(other, "b1"), **h}, content=batch).status_code == 202
    assert agg.counts()["events"] == 300 and agg.counts()["uploads"] == 3


def _scope(header: str) -> str:
    pack = json.loads(base64.b64decode(header))
    return f"{pack['license']['kid']}/{pack['license']['license_id']}"


def test_without_a_policy_the_configured_quota_holds(serve, operator: Operator) -> None:
    agg = serve(quota_bytes=2_000)
    lic = operator.header()
    with agg.client() as c:
        assert (
            c.post("/v1/events", headers=headers(lic, "a"), json={"events": [{"t": "x" * 900}]}).status_code
            == 202
        )
        assert (
            c.post("/v1/events", headers=headers(lic, "b"), json={"events": [{"t": "y" * 900}]}).status_code
            == 202
        )
        refused = c.post("/v1/events", headers=headers(lic, "c"), json={"events": [{"t": "z" * 900}]})
        assert refused.status_code == 403 and "quota" in refused.json()["detail"]


def test_retention_from_the_policy_drops_old_payloads_and_keeps_their_keys(
    serve, operator: Operator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [T0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    agg = serve(policy_file=policy_file(operator, tmp_path, now=T0 - 60, retention_days=2))
    lic = operator.header(now=T0 - 60)
    with agg.client() as c:
        old = c.post("/v1/metrics", headers=headers(lic, "old"), json=summary("2026-05-01"))
        assert old.status_code == 202
        now[0] = T0 + 3 * DAY  # older than the 2 days of retention
        new = c.post("/v1/events", headers=headers(lic, "new"), json={"events": [{"a": 1}]})
        assert new.status_code == 202
        assert agg.counts()["metrics"] == 0 and agg.counts()["events"] == 1  # the old payload is gone
        replay = c.post("/v1/metrics", headers=headers(lic, "old"), json=summary("2026-05-01"))
        assert replay.status_code == 202 and replay.json() == old.json()  # its key still answers
    assert agg.counts()["metrics"] == 0 and agg.counts()["uploads"] == 2
    assert agg.app.state.store.usage(_scope(lic)) == len('{"a":1}')


@pytest.mark.parametrize("store_kind", ["sqlite"], indirect=True)  # PostgreSQL's disk is its server's
def test_healthz_says_503_with_the_reason_when_the_disk_is_nearly_full(serve, tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    agg = serve(min_free_bytes=free + (1 << 40))
    r = httpx.get(f"{agg.url}/healthz")
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.json()["status"] == "unavailable" and "disk nearly full" in r.json()["reason"]


def test_openapi_declares_every_body_the_html_page_and_the_refusals(
    serve, operator: Operator, tmp_path: Path
) -> None:
    from ccp_assets.aggregator.issuer import IssuerState

    invites = tmp_path / "inv.json"
    invites.write_text(json.dumps({"invites": {"X": {"plan": "pro"}}}))
    state = IssuerState.from_files(tmp_path / "operator" / f"{operator.kid}.key", invites)
    agg = serve(issuer=state, operator_token="operator-token-0123456")
    doc = httpx.get(f"{agg.url}/openapi.json").json()
    paths = doc["paths"]
    for path, model in (
        ("/v1/license/issue", "IssueBody"),
        ("/v1/device/begin", "BeginBody"),
        ("/v1/device/poll", "PollBody"),
        ("/v1/device/approve", "ApproveBody"),
        ("/v1/metrics", "MetricsSummary"),
        ("/v1/events", "EventsBatch"),
    ):
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"}, path
        assert model in doc["components"]["schemas"]
        assert "422" not in paths[path]["post"]["responses"]
    assert doc["components"]["schemas"]["IssueBody"]["required"] == ["invite_code"]
    verify = paths["/v1/device/verify"]["get"]["responses"]
    assert "text/html" in verify["200"]["content"] and "application/json" in verify["200"]["content"]
    for path, method, code in (
        ("/v1/policy", "put", "401"),
        ("/v1/policy", "put", "429"),
        ("/v1/aggregate/daily", "get", "401"),
        ("/v1/device/approve", "post", "401"),
        ("/v1/metrics", "post", "409"),
        ("/v1/events", "post", "408"),
        ("/v1/events", "post", "401"),
        ("/healthz", "get", "503"),
        ("/v1/license/issue", "post", "413"),
    ):
        assert code in paths[path][method]["responses"], (path, method, code)
