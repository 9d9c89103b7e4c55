"""The store's part of issue 14, on its own: invite uses and the quota are decided inside one transaction
(also across two connections, as two processes would), retention keeps keys, and a database made before
fingerprints and quotas opens, gains the columns and still replays its keys. The first three run on SQLite
and on PostgreSQL (`open_store`); the old-database one is SQLite's own migration path (PostgreSQL's schema
is versioned by Alembic from its first revision)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from ccp_assets.aggregator.invites import invite_id
from ccp_assets.aggregator.sqlite_store import SQLiteStorage
from ccp_assets.aggregator.storage import Receipt

OLD_UPLOADS = """
CREATE TABLE uploads (
    id TEXT PRIMARY KEY, scope TEXT NOT NULL, idem_key TEXT NOT NULL, kind TEXT NOT NULL, kid TEXT NOT NULL,
    license_id TEXT, plan TEXT NOT NULL, received_at REAL NOT NULL, status INTEGER NOT NULL,
    answer TEXT NOT NULL, UNIQUE (scope, idem_key)
);
"""


def receipt(key: str, at: float = 1.0, scope: str = "kid/lic-1") -> Receipt:
    return Receipt(scope, key, "kid", "lic-1", "pro", at, f"upl-{key}", fingerprint=f"sha256:{key}")


def race(n: int, fn) -> list:
    out, gate = [], threading.Barrier(n)

    def go(i: int) -> None:
        gate.wait()
        out.append(fn(i))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_invite_uses_are_counted_once_each_across_connections(open_store) -> None:
    stores = [open_store("a"), open_store("a")]
    code = invite_id("THREE")
    granted = race(12, lambda i: stores[i % 2].use_invite(code, 3))
    assert granted.count(True) == 3 and stores[0].invite_uses(code) == 3
    assert stores[1].use_invite(invite_id("OPEN"), None) and stores[0].invite_uses(invite_id("OPEN")) == 1
    assert not stores[0].use_invite(invite_id("NEVER"), 0) and stores[0].invite_uses(invite_id("NEVER")) == 0


def test_the_quota_holds_under_concurrent_uploads(open_store) -> None:
    stores = [open_store("q"), open_store("q")]
    event = {"t": "x" * 90}
    size = len(json.dumps(event, separators=(",", ":")))  # 100 bytes stored per event
    quota = 10 * size * 5 + size  # room for 5 batches of 10, not 6
    answers = race(16, lambda i: stores[i % 2].store_events(receipt(f"k{i}"), [event] * 10, quota))
    assert sorted(a.status for a in answers) == [202] * 5 + [403] * 11
    assert stores[0].usage("kid/lic-1") == 50 * size and stores[0].counts()["events"] == 50
    assert all("quota" in a.body["detail"] for a in answers if a.status == 403)
    assert stores[0].store_events(receipt("other", scope="kid/lic-2"), [event], quota).status == 202


def test_purge_drops_old_payloads_and_keeps_their_keys(open_store) -> None:
    store = open_store("r")
    old = store.store_events(receipt("old", at=100.0), [{"a": 1}, {"a": 2}])
    store.store_events(receipt("new", at=300.0), [{"b": 1}])
    assert store.purge_before(200.0) == 1 and store.purge_before(200.0) == 0
    assert store.counts()["events"] == 1 and store.usage("kid/lic-1") == len('{"b":1}')
    again = store.find_answer("kid/lic-1", "old")
    assert again is not None and again.body == old.body and again.fingerprint == "sha256:old"


def test_a_database_from_before_fingerprints_opens_and_replays(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript(OLD_UPLOADS)
        answer = {"accepted": True, "id": "upl-1", "kind": "events", "stored": 1}
        conn.execute(
            "INSERT INTO uploads VALUES ('upl-1', 'kid/lic-1', 'k', 'events', 'kid', 'lic-1', 'pro', 1.0, 202, ?)",
            (json.dumps(answer),),
        )
    store = SQLiteStorage(db)
    prior = store.find_answer("kid/lic-1", "k")
    assert prior is not None and prior.body == answer and prior.kind == "events" and prior.fingerprint is None
    assert store.store_events(receipt("k2"), [{"c": 1}]).status == 202
    assert store.health() is None
    store.close()
