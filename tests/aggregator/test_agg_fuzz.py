"""Property test from the OpenAPI schema (schemathesis): no generated request gets a 5xx, with whatever
headers it generates and again with a valid license and a fresh Idempotency-Key, and every answer's status
and content type is one the OpenAPI document declares (issuer and team routes included). Bounded: a few
dozen examples per operation, in-process over ASGI; on the SQLite store and on the PostgreSQL store."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import content_type_conformance, not_a_server_error, status_code_conformance

from ccp_assets.aggregator.app import create_app
from ccp_assets.aggregator.config import AggregatorConfig
from ccp_assets.aggregator.issuer import IssuerState
from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, mint_policy, sign_envelope

from .conftest import encode

WORK = Path(tempfile.mkdtemp(prefix="ccp-agg-fuzz-"))  # the schema is needed at import, before fixtures
atexit.register(shutil.rmtree, WORK, True)


def _app_and_license(db_url: str | None = None) -> tuple[object, str, object]:
    """An aggregator with every feature on (policy, operator token, issuer) in a scratch directory, on
    SQLite, or on PostgreSQL at `db_url`."""
    if not (WORK / "op" / "fuzz-1.key").exists():
        keygen("fuzz-1", WORK / "op")
    key_path, pub_path = WORK / "op" / "fuzz-1.key", WORK / "op" / "fuzz-1.pub.json"
    key = load_private_key(key_path)
    policy = WORK / "policy.json"
    policy.write_text(
        json.dumps(
            mint_policy(
                key,
                "fuzz-1",
                1,
                30,
                allowed_models={"pro": ["claude-*"]},
                retention_days=30,
                redaction_rules=[],
                upload_limits={},
            )
        )
    )
    invites = WORK / "invites.json"
    invites.write_text(json.dumps({"invites": {"FUZZ": {"plan": "pro", "features": ["telemetry_full"]}}}))
    config = AggregatorConfig(
        db_path=WORK / "agg.sqlite",
        db_url=db_url,
        trusted_keys=pub_path,
        include_builtin_keys=False,
        policy_file=policy,
        operator_token="fuzz-operator-token-0123",
        rate_per_s=1000,
        rate_burst=100_000,
        max_body_bytes=256 * 1024,
        max_decompressed_bytes=512 * 1024,
        operator_max_failures=10_000,  # the fuzzer sends wrong tokens on purpose; throttling is tested apart
        issuer=IssuerState.from_files(key_path, invites, max_failures=10_000),
    )
    lic = sign_envelope(
        "license", build_license("fuzz-1", "pro", ["telemetry_minimized", "telemetry_full"], 30), key
    )
    return create_app(config), encode(lic), key


APP, LICENSE, FUZZ_KEY = _app_and_license()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_app(request: pytest.FixtureRequest) -> Iterator[object]:
    """The app on each store (PostgreSQL: a fresh database of the session's server)."""
    if request.param == "sqlite":
        yield APP
        return
    pg = request.getfixturevalue("pg_server")
    app = _app_and_license(pg.create_database())[0]
    yield app
    app.state.store.close()  # type: ignore[attr-defined]


schema = schemathesis.openapi.from_asgi("/openapi.json", APP)  # operations; calls go to `fuzz_app`


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(fuzz_app: object, case) -> None:
    declared = [not_a_server_error, status_code_conformance, content_type_conformance]
    first = case.call_and_validate(checks=declared, app=fuzz_app)  # every status and type is declared
    assert first.status_code != 422, "validation problems are answered 400"
    licensed = {"X-CCP-License": LICENSE, "Idempotency-Key": uuid.uuid4().hex}
    response = case.call(headers=licensed, app=fuzz_app)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    case.validate_response(response, checks=declared)


MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-6", "glm-4.6", "gpt-5-codex", "<synthetic>"]
DAYS = ["2026-03-01", "2026-03-02"]
count = st.integers(min_value=0, max_value=10**9)
money = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
summaries = st.fixed_dictionaries(
    {"date": st.sampled_from(DAYS), "sessions": count, "turns": count},
    optional={
        "tier": st.sampled_from(["minimized", "full"]),
        "features_shipped": count,
        "avg_cls": st.none() | st.floats(min_value=-5, max_value=5),
        "tokens_by_model": st.dictionaries(
            st.sampled_from(MODELS),
            count | st.fixed_dictionaries({"input": count, "output": count, "cache_read": count}),
        ),
        "cost_usd_by_model": st.dictionaries(st.sampled_from(MODELS), money),
    },
)


def _tokens(v: int | dict[str, int]) -> int:
    return v if isinstance(v, int) else sum(v.values())


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(st.tuples(st.integers(0, 3), summaries), min_size=1, max_size=6))
def test_valid_summaries_are_accepted_and_summed(fuzz_app: object, batch: list[tuple[int, dict]]) -> None:
    """Any valid minimized summary is accepted; the daily totals are the sums over each license's newest."""
    client = TestClient(fuzz_app)
    run = uuid.uuid4().hex[:8]  # a fresh set of licenses per example: the totals start from zero
    keys = {
        who: encode(
            sign_envelope(
                "license",
                build_license("fuzz-1", "pro", ["telemetry_minimized"], 30, license_id=f"{run}-{who}"),
                FUZZ_KEY,
            )
        )
        for who in range(4)
    }
    daily = {"X-CCP-License": keys[0]}
    before = {d["date"]: d for d in client.get("/v1/aggregate/daily", headers=daily).json()["days"]}
    newest: dict[tuple[int, str], dict] = {}
    for who, doc in batch:
        r = client.post(
            "/v1/metrics", json=doc, headers={"X-CCP-License": keys[who], "Idempotency-Key": uuid.uuid4().hex}
        )
        assert r.status_code == 202, r.text
        newest[(who, doc["date"])] = doc
    got = {d["date"]: d for d in client.get("/v1/aggregate/daily", headers=daily).json()["days"]}
    for day in {d for _, d in newest}:
        docs = [doc for (_, d), doc in newest.items() if d == day]
        mine = {k: got[day][k] - before.get(day, {}).get(k, 0) for k in ("sessions", "turns", "licenses")}
        assert mine == {
            "sessions": sum(d["sessions"] for d in docs),
            "turns": sum(d["turns"] for d in docs),
            "licenses": len(docs),
        }
        for model in MODELS:
            want = sum(
                _tokens(d.get("tokens_by_model", {})[model])
                for d in docs
                if model in d.get("tokens_by_model", {})
            )
            have = got[day]["tokens_by_model"].get(model, 0) - before.get(day, {}).get(
                "tokens_by_model", {}
            ).get(model, 0)
            assert have == want
