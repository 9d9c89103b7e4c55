"""The outbox's idempotency and superseding rules, the event batching, and the full tier's builder and guard
(no mocks: a real SQLite outbox in a temp dir, real keyed hashes, the packaged redaction rules)."""

from __future__ import annotations

import json
import secrets as pysecrets
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccp_assets.licensing.jsonstrict import canonical_bytes
from ccp_assets.privacy import Redactor
from ccp_assets.uploads.outbox import Outbox, idempotency_key
from ccp_assets.uploads.payloads import (
    EventBuilder,
    RedactionGuardError,
    assert_redacted,
    chunker,
    index_events,
)
from ccp_assets.uploads.sender import retry_after_seconds

from .conftest import contract_lib

SECRETS = contract_lib().SECRETS
KEY = pysecrets.token_bytes(32)


@pytest.fixture
def box(tmp_path: Path):  # noqa: ANN201
    with Outbox(tmp_path / "outbox.sqlite") as b:
        yield b


def test_keys_derive_from_content_and_fit_the_header_rules():
    k = idempotency_key("minimized", "metrics", "2026-02-10", b"{}")
    assert k == idempotency_key("minimized", "metrics", "2026-02-10", b"{}")
    assert k != idempotency_key("minimized", "metrics", "2026-02-10", b"{ }")
    assert k != idempotency_key("full", "metrics", "2026-02-10", b"{}")
    assert len(k) <= 200 and all(0x21 <= ord(c) <= 0x7E for c in k)


def test_summary_enqueue_is_idempotent_and_a_new_version_supersedes_the_pending_one(box):
    a, b = canonical_bytes({"date": "2026-02-10", "turns": 1}), canonical_bytes({"date": "2026-02-10", "turns": 2})
    first = box.enqueue_summary("minimized", "2026-02-10", a)
    assert len(first.added) == 1 and box.enqueue_summary("minimized", "2026-02-10", a).added == []
    second = box.enqueue_summary("minimized", "2026-02-10", b)
    assert second.superseded == first.added and box.counts()["pending"] == 1
    back = box.enqueue_summary("minimized", "2026-02-10", a)  # the content went back: the old copy revives
    assert back.added == first.added and back.superseded == second.added
    box.mark_sent(first.added[0], 202, "{}")
    assert box.enqueue_summary("minimized", "2026-02-10", a).added == []  # sent content is never re-queued
    assert box.counts() == {"pending": 0, "sent": 1, "rejected": 0, "superseded": 1}


def _events(n: int, start: int = 0, extra: str = "") -> dict:
    return index_events({"type": "turn", "event_id": f"{i:032x}", "tokens_in": i, "model": "claude-opus-4-6",
                         "note": extra} for i in range(start, start + n))


def test_event_batches_respect_limits_and_only_new_or_changed_events_are_queued(box):
    chunk = chunker(max_events=10, max_bytes=1500)
    first = box.enqueue_day_events("full", "2026-02-12", _events(35), chunk)
    rows = box.pending()
    assert len(first.added) == len(rows) >= 4
    assert all(p.items <= 10 and len(p.body) <= 1500 for p in rows) and sum(p.items for p in rows) == 35
    assert box.enqueue_day_events("full", "2026-02-12", _events(35), chunk).added == []  # unchanged: nothing

    for p in rows[:2]:
        box.mark_sent(p.idem_key, 202, "{}")
    grown = box.enqueue_day_events("full", "2026-02-12", _events(38), chunk)  # three new events
    assert len(grown.added) == 1 and box.get(grown.added[0]).items == 3 and grown.superseded == []

    changed = _events(38)
    still = next(p for p in box.pending() if p.items > 3)
    eid = json.loads(still.body)["events"][0]["event_id"]  # an event of a still-pending batch changes
    ev = dict(changed[eid][1], tokens_in=999)
    changed[eid] = (json.dumps(ev), ev)
    res = box.enqueue_day_events("full", "2026-02-12", changed, chunk)
    assert res.superseded == [still.idem_key] and res.added
    live = [p for p in box.all() if p.state in ("pending", "sent")]
    ids = [e["event_id"] for p in live for e in json.loads(p.body)["events"]]
    assert sorted(ids) == sorted(changed) and len(ids) == len(set(ids))  # every event in exactly one live batch


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7.0
    when = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 <= retry_after_seconds(format_datetime(when, usegmt=True)) <= 31
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def _user_line(content) -> str:  # noqa: ANN001
    return json.dumps({"type": "user", "sessionId": "4d5611e5-241a-462a-8d15-5122611a9569", "uuid": "u-1",
                       "cwd": SECRETS["path"], "version": "2.1.39", "message": {"role": "user", "content": content}})


def test_builder_drops_high_risk_prompts_hashes_ids_and_never_sends_tool_output():
    b = EventBuilder(KEY, Redactor.from_rules(include_login=False))
    text = "please deploy with " + " and ".join(SECRETS.values())
    (prompt,) = b.user_line(_user_line(text), None, "/home/alicel/x.jsonl", 0, 0, "2026-02-12")
    assert prompt["dropped"] and prompt["text"].startswith("[dropped: contained") and prompt["length"] == len(text)
    result = b.user_line(_user_line([{"type": "tool_result", "tool_use_id": "toolu_1", "content": text}]), None,
                         "/home/alicel/x.jsonl", 0, 0, "2026-02-12")
    assert "text" not in result[0] and result[0]["redactions"]["anthropic_key"] == 1
    (mild,) = b.user_line(_user_line("mail alice.liddell@wonderland-corp.example about /home/alicel/notes"), None,
                          "f", 0, 0, "2026-02-12")
    assert not mild["dropped"] and mild["text"] == "mail [email] about [home_path]"
    blob = json.dumps([prompt, result, mild])
    assert "4d5611e5" not in blob and "alicel" not in blob and "wonderland" not in blob
    for ev in (prompt, *result, mild):
        assert_redacted(ev)


def test_the_guard_refuses_anything_the_redactor_would_still_change():
    with pytest.raises(RedactionGuardError):
        assert_redacted({"events": [{"text": "key " + SECRETS["github"]}]})
    with pytest.raises(RedactionGuardError):
        assert_redacted(canonical_bytes({"events": [{"cwd": SECRETS["path"]}]}))
    assert_redacted({"events": [{"text": "[dropped: contained jwt]", "n": 3}]})


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=_TEXT, suffix=_TEXT, which=st.sampled_from(sorted(SECRETS)), sep=st.sampled_from([" ", "\n", "=", ":"]))
def test_no_planted_secret_survives_into_an_event_whatever_surrounds_it(prefix, suffix, which, sep):
    b = EventBuilder(KEY, Redactor.from_rules(include_login=False))
    secret = SECRETS[which]
    text = f"{prefix}{sep}{secret}{sep}{suffix}"
    events = b.user_line(_user_line(text), None, "f", 0, 0, "2026-02-12")
    events += b.user_line(_user_line([{"type": "tool_result", "tool_use_id": "t", "content": text}]), None, "f", 0,
                          0, "2026-02-12")
    blob = json.dumps(events, ensure_ascii=False)
    core = secret.split("\n")[1][:30] if which == "pem" else secret[-24:]
    assert core not in blob
    for ev in events:
        assert_redacted(ev)


def test_policy_redaction_rules_and_upload_limits_apply_to_the_full_tier(ccp_env, monkeypatch, operator):
    from ccp_assets.licensing import clock, install_policy
    from ccp_assets.settings import load_settings
    from ccp_assets.uploads.enqueue import batch_limits, redactor_for
    from ccp_assets.uploads.gate import Gate

    from .conftest import license_env

    license_env(ccp_env, monkeypatch, operator, "full")
    rules = [{"name": "Codename", "pattern": r"spotter-[a-z]+", "action": "drop"},
             {"name": "ticket", "pattern": r"JIRA-\d+", "action": "redact"}]
    install_policy(operator.policy(redaction_rules=rules, upload_limits={"max_events_per_batch": 25}),
                   load_settings(), clock.now())
    gate = Gate.load(load_settings())
    r = redactor_for(gate)
    assert r.redact("work on spotter-dov now").dropped
    assert r.redact("see JIRA-123").text == "see [redacted]"
    assert batch_limits(gate)[0] == 25
    b = EventBuilder(KEY, r)
    (ev,) = b.user_line(_user_line("bead spotter-dov please"), None, "f", 0, 0, "2026-02-12")
    assert ev["dropped"] and "spotter" not in json.dumps(ev)
