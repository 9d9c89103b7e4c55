"""Delivery against the real aggregator: retries (429 + Retry-After, a lost answer, a killed server) end with
every payload stored exactly once; 400 and 413 are never retried; a killed client loses nothing."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

from ccp_assets.licensing import clock, install_policy
from ccp_assets.licensing.jsonstrict import canonical_bytes
from ccp_assets.settings import load_settings
from ccp_assets.uploads.outbox import Outbox
from ccp_assets.uploads.payloads import chunker, index_events
from ccp_assets.uploads.sender import drain
from ccp_assets.uploads.service import run_upload
from tests.helpers import CCP

from .conftest import AggregatorProcess, license_env, stored_rows, use_home


def _exactly_once(db_path, box_rows) -> None:  # noqa: ANN001
    """Every outbox payload is stored once by the aggregator: uploads, metrics and events all add up."""
    keys = dict(stored_rows(db_path, "SELECT idem_key, count(*) FROM uploads GROUP BY idem_key"))
    assert keys == {p.idem_key: 1 for p in box_rows}
    events = sum(p.items for p in box_rows if p.kind == "events")
    metrics = sum(1 for p in box_rows if p.kind == "metrics")
    assert stored_rows(db_path, "SELECT count(*) FROM events")[0][0] == events
    assert stored_rows(db_path, "SELECT count(*) FROM metrics")[0][0] == metrics


def _small_batches(operator, per_batch: int) -> None:  # noqa: ANN001
    install_policy(operator.policy(upload_limits={"max_events_per_batch": per_batch}), load_settings(), clock.now())


def test_429_with_retry_after_is_retried_after_the_wait_then_accepted(fixture_home, ccp_env, monkeypatch, operator,
                                                                     aggregator):
    agg = aggregator(rate_per_s=0.5, rate_burst=1)  # the second request in a row gets 429, Retry-After: 2
    use_home(fixture_home, ccp_env)
    license_env(ccp_env, monkeypatch, operator, "minimized", ["telemetry_minimized"], url=agg.url)
    report = run_upload(load_settings())
    assert report.ok and len(report.with_outcome("sent")) == 2, report.results
    seen = [(r["status"], r["retry_after"]) for r in agg.recorder.uploads()]
    assert seen[0] == (202, None) and (429, "2") in seen and seen[-1][0] == 202
    i = seen.index((429, "2"))
    waited = agg.recorder.uploads()[i + 1]["t"] - agg.recorder.uploads()[i]["t"]
    assert waited >= 1.9, f"retried after {waited:.2f} s, before Retry-After"
    assert agg.counts()["metrics"] == 2
    with Outbox.open(load_settings()) as box:
        _exactly_once(agg.db_path, box.all())
        assert all(p.attempts >= 1 for p in box.all()) and max(p.attempts for p in box.all()) >= 2


def test_400_and_413_are_rejected_once_never_retried_and_the_drain_goes_on(fixture_home, ccp_env, monkeypatch,
                                                                          operator, aggregator):
    agg = aggregator(max_decompressed_bytes=2048)
    use_home(fixture_home, ccp_env)
    license_env(ccp_env, monkeypatch, operator, "full", url=agg.url)
    events = {f"{i:032x}": {"type": "turn", "event_id": f"{i:032x}", "day": "2026-02-10", "tokens_in": i,
                            "model": "claude-opus-4-6"} for i in range(200)}
    with Outbox.open(load_settings()) as box:
        bad = box.enqueue_summary("minimized", "2026-02-10", canonical_bytes(
            {"date": "2026-02-10", "tier": "minimized", "sessions": -1}))  # passes the client guard, not the server
        big = box.enqueue_day_events("full", "2026-02-10", index_events(events.values()), chunker(1000, 1 << 20))
        good = box.enqueue_summary("minimized", "2026-02-12", canonical_bytes({"date": "2026-02-12", "turns": 3}))
    results = {r.key: r for r in drain(load_settings())}
    assert results[bad.added[0]].outcome == "rejected" and results[bad.added[0]].status == 400
    assert "sessions" in results[bad.added[0]].detail
    assert results[big.added[0]].outcome == "rejected" and results[big.added[0]].status == 413
    assert results[good.added[0]].outcome == "sent"
    assert sorted(r["status"] for r in agg.recorder.uploads()) == [202, 400, 413]  # one request each
    assert drain(load_settings()) == []  # rejected stays rejected: no second try, ever
    assert len(agg.recorder.uploads()) == 3
    with Outbox.open(load_settings()) as box:
        assert box.counts() == {"pending": 0, "sent": 1, "rejected": 2, "superseded": 0}
        assert "HTTP 400" in box.get(bad.added[0]).last_error


def test_a_lost_answer_is_retried_and_the_aggregator_stores_it_once(fixture_home, ccp_env, monkeypatch, operator,
                                                                   aggregator):
    agg = aggregator()
    agg.recorder.drop_answer_of = {2}  # the second upload is stored, but its answer never reaches us
    use_home(fixture_home, ccp_env)
    license_env(ccp_env, monkeypatch, operator, "full", url=agg.url)
    report = run_upload(load_settings())
    assert report.ok, report.results
    assert any(r.replayed for r in report.with_outcome("sent"))  # the retry got the first answer back
    with Outbox.open(load_settings()) as box:
        _exactly_once(agg.db_path, box.all())


def test_aggregator_killed_mid_upload_then_restarted_every_payload_arrives_once(fixture_home, ccp_env, monkeypatch,
                                                                               operator, tmp_path):
    use_home(fixture_home, ccp_env)
    server = AggregatorProcess(operator, tmp_path / "aggp" / "aggregator.sqlite").start()
    try:
        license_env(ccp_env, monkeypatch, operator, "full", url=server.url)
        _small_batches(operator, 40)
        sent: list = []
        restarted = threading.Event()

        def on_result(r) -> None:  # noqa: ANN001
            sent.append(r)
            if len(sent) == 3:
                server.kill()  # kill -9 between two uploads; the client retries with backoff meanwhile
                threading.Thread(target=lambda: (time.sleep(1.0), server.start(), restarted.set()),
                                 daemon=True).start()

        report = run_upload(load_settings(), on_result=on_result)
        assert restarted.wait(30)
        assert report.ok, [r for r in report.results if r.outcome != "sent"]
        assert len(report.with_outcome("sent")) > 6
    finally:
        server.stop()
    with Outbox.open(load_settings()) as box:
        rows = box.all()
        assert all(p.state == "sent" for p in rows)
        assert max(p.attempts for p in rows) >= 2  # the payload after the kill needed retries
        _exactly_once(server.db_path, rows)


def test_client_killed_mid_drain_loses_nothing_and_sends_nothing_twice(fixture_home, ccp_env, monkeypatch, operator,
                                                                      aggregator):
    agg = aggregator(rate_per_s=4.0, rate_burst=1)  # about one upload a second: time to kill the client mid-drain
    use_home(fixture_home, ccp_env)
    license_env(ccp_env, monkeypatch, operator, "full", url=agg.url)
    _small_batches(operator, 100)
    proc = subprocess.Popen([str(CCP), "upload"], env=ccp_env.env, cwd=ccp_env.env["HOME"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while agg.counts()["uploads"] < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the drain finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    with Outbox.open(load_settings()) as box:
        assert box.counts()["pending"] > 0  # the kill left work behind
    r = subprocess.run([str(CCP), "upload"], env=ccp_env.env, cwd=ccp_env.env["HOME"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout
    with Outbox.open(load_settings()) as box:
        rows = box.all()
        assert rows and all(p.state == "sent" for p in rows)
        _exactly_once(agg.db_path, rows)


def test_dry_run_shows_what_would_happen_and_changes_nothing(fixture_home, ccp_env, monkeypatch, operator, aggregator):
    from ccp_assets.cli.upload_cmd import render
    from ccp_assets.uploads.outbox import outbox_path

    agg = aggregator()
    use_home(fixture_home, ccp_env)
    license_env(ccp_env, monkeypatch, operator, "full", url=agg.url)
    dry = run_upload(load_settings(), dry_run=True)
    lines = render(dry)
    assert dry.ok and agg.recorder.requests == [] and not outbox_path(load_settings()).exists()
    assert sum(line.startswith("would queue: ") for line in lines) == 4, lines  # 2 days x (summary + events)
    real = run_upload(load_settings())
    assert real.ok and agg.counts()["metrics"] == 2 and agg.counts()["events"] > 0
    again = run_upload(load_settings(), dry_run=True)
    assert again.results == [] and again.enqueue.outcomes == []  # nothing left to do
