"""Uploads over real HTTP: license on every request, idempotency, entitlement, body limits, rate limit."""

from __future__ import annotations

import gzip
import json
import resource
import struct
import threading
import time
import zlib
from typing import Any

import httpx
import pytest

from ccp_assets.aggregator.body import BodyError, Gunzip

from .conftest import Operator, Served, encode, headers, summary

MIB = 1 << 20


def post(
    agg: Served, path: str, lic: str | None, key: str | None = "k-1", body: Any = None, **kw: Any
) -> httpx.Response:
    with agg.client() as c:
        if body is not None:
            kw["json"] = body
        return c.post(path, headers={**headers(lic, key), **kw.pop("extra", {})}, **kw)


def test_accepted_summary_is_stored_once(agg: Served, operator: Operator) -> None:
    r = post(agg, "/v1/metrics", operator.header(), body=summary())
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["accepted"] is True and body["stored"] == 1 and body["kind"] == "metrics" and body["id"]
    assert agg.counts()["metrics"] == 1 and agg.counts()["uploads"] == 1


def test_replayed_key_returns_first_answer_and_stores_nothing(agg: Served, operator: Operator) -> None:
    lic = operator.header()
    first = post(agg, "/v1/metrics", lic, "same-key", body=summary())
    again = post(agg, "/v1/metrics", lic, "same-key", body=summary())
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    # the same bytes gzipped are the same body (the fingerprint is taken after decompression)
    zipped = gzip.compress(httpx.Request("POST", agg.url, json=summary()).content)
    with agg.client() as c:
        third = c.post(
            "/v1/metrics", headers={**headers(lic, "same-key"), "Content-Encoding": "gzip"}, content=zipped
        )
    assert third.status_code == 202 and third.json() == first.json()
    assert agg.counts()["metrics"] == 1
    # the key belongs to the license: another license may use the same key
    other = post(agg, "/v1/metrics", operator.header(license_id="lic-agg-2"), "same-key", body=summary())
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    assert agg.counts()["metrics"] == 2


@pytest.mark.parametrize(
    "path,doc", [("/v1/metrics", summary()), ("/v1/events", {"events": [{"a": 1}] * 50})]
)
def test_concurrent_requests_with_one_key_store_once(
    agg: Served, operator: Operator, path: str, doc: Any
) -> None:
    lic, answers = operator.header(), []
    gate = threading.Barrier(8)

    def send() -> None:
        gate.wait()
        answers.append(post(agg, path, lic, "race-key", body=doc))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in answers} == {202}
    assert len({json.dumps(r.json(), sort_keys=True) for r in answers}) == 1
    counts = agg.counts()
    assert counts["uploads"] == 1 and counts["metrics" if "metrics" in path else "events"] == len(
        doc.get("events", [None])
    )


def test_events_need_telemetry_full(agg: Served, operator: Operator) -> None:
    minimized = operator.header(features=["telemetry_minimized"])
    r = post(agg, "/v1/events", minimized, body={"events": [{"kind": "turn"}]})
    assert r.status_code == 403 and "telemetry_full" in r.json()["detail"]
    nothing = operator.header(features=[])
    assert post(agg, "/v1/metrics", nothing, body=summary()).status_code == 403
    assert post(agg, "/v1/metrics", minimized, body=summary()).status_code == 202
    assert agg.counts()["events"] == 0 and agg.counts()["metrics"] == 1


def test_tampered_license_is_401_and_stores_nothing(agg: Served, operator: Operator) -> None:
    pack = operator.pack()
    raw = json.dumps(pack).encode()
    start = raw.index(b"{", 1)  # the license object
    end = raw.index(b', "signature"')
    with agg.client() as c:
        for pos in range(start, end):
            flipped = bytearray(raw)
            flipped[pos] ^= 0x01
            r = c.post("/v1/metrics", headers=headers(encode(bytes(flipped)), f"t-{pos}"), json=summary())
            assert r.status_code == 401, (pos, r.text)
            assert pack["signature"] not in r.text and "lic-agg-1" not in r.text
    assert agg.counts()["uploads"] == 0


def test_missing_bad_expired_untrusted_license_is_401(agg: Served, operator: Operator, tmp_path) -> None:
    from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, sign_envelope

    stranger = load_private_key(keygen(operator.kid, tmp_path / "stranger")[0])  # same kid, other key
    cases = {
        "missing X-CCP-License": None,
        "not base64": "%%%not-base64%%%",
        "malformed JSON": encode(b"{nope"),
        "expired": operator.header(now=time.time() - 40 * 86400, days=1),
        "signature mismatch": operator.header(key=stranger),
        "unknown kid": encode(
            sign_envelope("license", build_license("stranger-1", "pro", ["telemetry_full"], 30), stranger)
        ),
    }
    for reason, lic in cases.items():
        r = post(agg, "/v1/metrics", lic, body=summary())
        assert r.status_code == 401, (reason, r.text)
        assert reason.split()[0].lower() in r.json()["detail"].lower(), (reason, r.text)
    assert agg.counts()["uploads"] == 0


def test_revoked_license_is_401(serve, operator: Operator, tmp_path) -> None:
    from ccp_assets.licensing.issuing import mint_revocations

    rev = tmp_path / "revocations.json"
    rev.write_text(json.dumps(mint_revocations(operator.key, operator.kid, 1, 30, license_ids=["lic-bad"])))
    agg = serve(revocations_file=rev)
    r = post(agg, "/v1/metrics", operator.header(license_id="lic-bad"), body=summary())
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert post(agg, "/v1/metrics", operator.header(), body=summary()).status_code == 202


def test_device_bound_license_is_accepted_from_its_device(agg: Served, operator: Operator) -> None:
    from ccp_assets.licensing.issuing import build_license, sign_envelope

    body = build_license(operator.kid, "pro", ["telemetry_full"], 30, device="ab" * 32, license_id="lic-dev")
    r = post(agg, "/v1/events", encode(sign_envelope("license", body, operator.key)), body={"events": [{}]})
    assert r.status_code == 202, r.text


def test_missing_or_bad_idempotency_key_is_400(agg: Served, operator: Operator) -> None:
    assert post(agg, "/v1/metrics", operator.header(), None, body=summary()).status_code == 400
    assert post(agg, "/v1/metrics", operator.header(), "x" * 201, body=summary()).status_code == 400
    assert agg.counts()["uploads"] == 0


def test_gzip_body_accepted(agg: Served, operator: Operator) -> None:
    events = {"events": [{"kind": "turn", "n": i, "text_hash": "ab" * 16} for i in range(500)]}
    r = post(
        agg,
        "/v1/events",
        operator.header(),
        content=gzip.compress(json.dumps(events).encode()),
        extra={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert r.status_code == 202, r.text
    assert r.json()["stored"] == 500 and agg.counts()["events"] == 500
    bad = post(
        agg,
        "/v1/events",
        operator.header(),
        "k-2",
        content=b"not gzip at all",
        extra={"Content-Encoding": "gzip"},
    )
    assert bad.status_code == 400 and "gzip" in bad.json()["detail"]
    br = post(agg, "/v1/events", operator.header(), "k-4", content=b"{}", extra={"Content-Encoding": "br"})
    assert br.status_code == 400 and "Content-Encoding" in br.json()["detail"]
    cut = gzip.compress(json.dumps(events).encode())[:-12]
    assert (
        post(
            agg, "/v1/events", operator.header(), "k-3", content=cut, extra={"Content-Encoding": "gzip"}
        ).status_code
        == 400
    )


def gzip_bomb(mib: int) -> bytes:
    """`mib` MiB of zeros as one gzip member, built in milliseconds: after the first sync-flushed MiB,
    every further MiB compresses to the same bytes."""
    zeros = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = c.compress(zeros) + c.flush(zlib.Z_SYNC_FLUSH)
    repeat = c.compress(zeros) + c.flush(zlib.Z_SYNC_FLUSH)
    end = c.flush()[:-8]
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    return first + repeat * (mib - 1) + end + struct.pack("<II", crc, (mib * MIB) & 0xFFFFFFFF)


def test_gzip_bomb_builder_is_valid() -> None:
    assert gzip.decompress(gzip_bomb(3)) == bytes(3 * MIB)


def test_gzip_bomb_is_413_without_inflating(serve, operator: Operator) -> None:
    agg = serve(max_body_bytes=4 * MIB, max_decompressed_bytes=MIB)
    bomb = gzip_bomb(2048)  # 2 GiB inflated, ~2 MiB on the wire
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = post(agg, "/v1/events", operator.header(), content=bomb, extra={"Content-Encoding": "gzip"})
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert r.status_code == 413 and "after decompression" in r.json()["detail"]
    assert grown_mib < 64, f"peak RSS grew by {grown_mib:.0f} MiB"
    assert agg.counts()["uploads"] == 0


def test_gunzip_stops_at_the_cap() -> None:
    import tracemalloc

    tracemalloc.start()
    g = Gunzip(limit=MIB)
    with pytest.raises(BodyError) as err:
        g.feed(gzip_bomb(256))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert err.value.status == 413 and peak < 8 * MIB


def test_oversized_body_is_413(serve, operator: Operator) -> None:
    agg = serve(max_body_bytes=64 * 1024, max_decompressed_bytes=128 * 1024, max_events=100)
    big = {"events": [{"blob": "x" * 1000} for _ in range(100)]}
    assert post(agg, "/v1/events", operator.header(), body=big).status_code == 413
    streamed = post(
        agg,
        "/v1/events",
        operator.header(),
        "k-2",  # no Content-Length: chunked upload
        content=iter([b'{"events": [', b'{"a": 1},' * 20_000, b"{}]}"]),
    )
    assert streamed.status_code == 413
    many = {"events": [{} for _ in range(101)]}
    r = post(agg, "/v1/events", operator.header(), "k-3", body=many)
    assert r.status_code == 413 and "too many events" in r.json()["detail"]
    assert agg.counts()["uploads"] == 0


@pytest.mark.parametrize(
    "content,why",
    [
        (b"{nope", "malformed JSON"),
        (b"", "empty body"),
        (b"[1, 2]", "JSON object"),
        (b'{"date": "2026-02-14", "sessions": NaN}', "NaN"),
        (b'{"date": "2026-02-14", "sessions": 1e999}', "out of range"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[" * 5000 + b"]" * 5000, "deep"),
    ],
)
def test_malformed_metrics_are_400(agg: Served, operator: Operator, content: bytes, why: str) -> None:
    r = post(agg, "/v1/metrics", operator.header(), content=content)
    assert r.status_code == 400 and why.lower() in r.json()["detail"].lower(), r.text


@pytest.mark.parametrize(
    "doc,why",
    [
        ({"sessions": 1}, "date"),
        (summary(day="2026-02-30"), "date"),
        (summary(sessions=-1), "sessions"),
        (summary(sessions="many"), "sessions"),
        (summary(routing={"lanes": {}}), "routing"),  # not a minimized field
        (summary(tokens_by_model={"/home/alice/model.gguf": 5}), "allow-list"),
        (summary(capacity_used={"pp": "alice@example.com"}), "allow-list"),
    ],
)
def test_wrong_shape_or_not_minimized_is_400(agg: Served, operator: Operator, doc: Any, why: str) -> None:
    r = post(agg, "/v1/metrics", operator.header(), body=doc)
    assert r.status_code == 400 and why in r.json()["detail"], r.text
    assert "alice" not in r.text
    assert agg.counts()["uploads"] == 0


def test_events_wrong_shape_is_400(agg: Served, operator: Operator) -> None:
    for i, doc in enumerate([{"events": []}, {"events": [1, 2]}, {"evts": [{}]}, [{"a": 1}]]):
        r = post(agg, "/v1/events", operator.header(), f"k-{i}", body=doc)
        assert r.status_code == 400 and "events" in r.json()["detail"], r.text


def test_rate_limit_is_429_with_retry_after(serve, operator: Operator) -> None:
    agg = serve(rate_per_s=0.5, rate_burst=3)
    lic = operator.header()
    codes = [post(agg, "/v1/metrics", lic, f"k-{i}", body=summary()).status_code for i in range(3)]
    limited = post(agg, "/v1/metrics", lic, "k-9", body=summary())
    assert codes == [202, 202, 202] and limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    # buckets are per license: another license is not held back
    assert (
        post(agg, "/v1/metrics", operator.header(license_id="lic-other"), "k-9", body=summary()).status_code
        == 202
    )
    assert agg.counts()["metrics"] == 4


def test_unknown_route_and_method_are_4xx(agg: Served) -> None:
    with agg.client() as c:
        assert c.get("/v1/metrics").status_code == 405
        assert c.get("/nope").status_code == 404
        assert c.get("/healthz").json() == {"status": "ok"}
