"""Minimized and full uploads against the real aggregator (uvicorn on 127.0.0.1), with contract_lib's
transcript of planted secrets: what the aggregator stores is only what the tier allows."""

from __future__ import annotations

import json

from ccp_assets.privacy import MINIMIZED_FIELDS, assert_minimized, is_keyed_hash
from ccp_assets.privacy.vocab import is_vocab_key
from ccp_assets.settings import load_settings
from ccp_assets.uploads.outbox import Outbox
from ccp_assets.uploads.service import run_upload
from tests.helpers import materialize_all

from .conftest import MAIN, contract_lib, db_bytes, license_env, setenv, stored_rows

CL = contract_lib()


def _planted(ccp_env, monkeypatch):  # noqa: ANN001, ANN202
    cfg, secrets = CL.planted_claude_tree(ccp_env.tmp, MAIN)
    setenv(ccp_env, monkeypatch, CLAUDE_CONFIG_DIR=str(cfg))
    return cfg, secrets


def _strings(value):  # noqa: ANN001, ANN202
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_minimized_tier_stores_only_allow_listed_numbers(ccp_env, monkeypatch, operator, aggregator):
    agg = aggregator()
    license_env(ccp_env, monkeypatch, operator, "minimized", ["telemetry_minimized"], url=agg.url)
    cfg, secrets = _planted(ccp_env, monkeypatch)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome.failures
    queued = outcome.materialized["upload_minimized"]["metadata"]
    assert queued["queued_payloads"] == 1 and queued["queued_days"] == ["2026-02-12"]
    full = outcome.materialized["upload_full"]["metadata"]
    assert full["queued_payloads"] == 0 and full["withheld"]["2026-02-12"].startswith("tier: CCP_PRIVACY_TIER=minimized")

    again = materialize_all(start="2026-02-12", end="2026-02-12")  # same content: nothing new is queued
    assert again is not None and again.materialized["upload_minimized"]["metadata"]["queued_payloads"] == 0
    with Outbox.open(load_settings()) as box:
        assert box.counts() == {"pending": 1, "sent": 0, "rejected": 0, "superseded": 0}

    report = run_upload(load_settings())
    assert report.ok and [r.outcome for r in report.results] == ["sent"], report.results
    assert [(r["path"], r["status"], r["encoding"]) for r in agg.recorder.uploads()] == [("/v1/metrics", 202, "gzip")]
    assert agg.counts()["metrics"] == 1 and agg.counts()["events"] == 0

    (payload,) = [json.loads(p) for (p,) in stored_rows(agg.db_path, "SELECT payload FROM metrics")]
    assert set(payload) <= set(MINIMIZED_FIELDS) and payload["date"] == "2026-02-12" and payload["turns"] == 150
    assert_minimized(payload)
    for s in _strings(list(payload.values())):
        assert is_vocab_key(s) or is_keyed_hash(s), s  # a vocabulary word or a keyed hash, nothing else
    stored = db_bytes(agg.db_path)
    forbidden = CL.forbidden_strings(cfg) | set(secrets.values())
    assert forbidden and [f for f in forbidden if f.encode() in stored] == []

    assert run_upload(load_settings()).results == []  # drained: a second pass sends nothing
    assert agg.counts()["uploads"] == 1


def test_full_tier_with_planted_secrets_leaves_none_in_the_aggregator(ccp_env, monkeypatch, operator, aggregator):
    agg = aggregator()
    license_env(ccp_env, monkeypatch, operator, "full", url=agg.url)
    cfg, secrets = _planted(ccp_env, monkeypatch)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome.failures
    meta = outcome.materialized["upload_full"]["metadata"]
    assert meta["queued_payloads"] >= 1 and meta["items"] > 300
    order = _materialization_order(outcome.run_id)  # sessions filled before they were queued (test_upl_order.py)
    assert order.index("unified_sessions") < order.index("upload_full")
    again = materialize_all(start="2026-02-12", end="2026-02-12")
    assert again is not None
    assert again.materialized["upload_full"]["metadata"]["queued_payloads"] == 0
    assert again.materialized["upload_full"]["metadata"]["unchanged_days"] == ["2026-02-12"]

    report = run_upload(load_settings())
    assert report.ok, report.results
    sent = {r.kind: r for r in report.with_outcome("sent")}
    assert set(sent) == {"metrics", "events"}
    counts = agg.counts()
    assert counts["events"] == meta["items"] and counts["metrics"] == 1

    events = [json.loads(p) for (p,) in stored_rows(agg.db_path, "SELECT payload FROM events")]
    kinds = {e["type"] for e in events}
    assert {"turn", "session", "user_prompt", "tool_result"} <= kinds
    planted = [e for e in events if e["type"] == "user_prompt" and e.get("dropped")]
    assert planted and planted[0]["text"].startswith("[dropped: contained") and planted[0]["length"] > 400
    results = [e for e in events if e["type"] == "tool_result"]
    assert results and all("text" not in e and len(e["content_hash"]) == 32 for e in results)

    stored = db_bytes(agg.db_path)
    cores = {k: (v.split("\n")[1][:30] if k == "pem" else v[-24:]) for k, v in secrets.items()}
    survivors = sorted(k for k, c in cores.items() if c.encode() in stored)
    survivors += sorted(k for k, v in secrets.items() if v.encode() in stored)
    assert survivors == []
    for word in (b"alicel", b"secret-merger", b"wonderland", b"/home/"):  # names from the path, the email
        assert word not in stored, word
    session_id = MAIN.stem.encode()
    assert session_id not in stored  # identifiers travel as keyed hashes only


def _materialization_order(run_id: str) -> list[str]:
    """Asset keys of a run in the order they were first materialized (the instance's event log; several
    assets share a step, so step order would not tell)."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    keys = [r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records]
    return list(dict.fromkeys(keys))
