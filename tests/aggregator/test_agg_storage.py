"""Each store on its own (SQLite and PostgreSQL, `open_store`): one claim per key across threads and across
connections (as two processes would have), policy versions only going up, and the daily sums."""

from __future__ import annotations

import threading
from pathlib import Path

from ccp_assets.aggregator.storage import MetricsRow, Receipt, StoredPolicy


def receipt(key: str, upload_id: str, scope: str = "kid/lic-1") -> Receipt:
    return Receipt(scope, key, "kid", "lic-1", "pro", 1.0, upload_id)


def test_one_claim_per_key_across_connections(open_store) -> None:
    stores = [open_store("a"), open_store("a")]
    answers, gate = [], threading.Barrier(16)

    def go(i: int) -> None:
        gate.wait()
        store = stores[i % 2]
        answers.append(store.store_events(receipt("same", f"upl-{i}"), [{"n": n} for n in range(100)]))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a.body["id"] for a in answers}) == 1
    assert sum(not a.replayed for a in answers) == 1
    assert stores[0].counts() == {"uploads": 1, "metrics": 0, "events": 100, "policies": 0}


def test_policy_versions_only_go_up(open_store) -> None:
    store = open_store("p")
    assert store.latest_policy() is None
    assert store.put_policy(StoredPolicy(3, "k", 10, "{}"))
    assert not store.put_policy(StoredPolicy(3, "k", 10, "{}"))
    assert not store.put_policy(StoredPolicy(2, "k", 10, "{}"))
    assert store.put_policy(StoredPolicy(4, "k", 10, '{"v": 4}'))
    assert store.latest_policy() == StoredPolicy(4, "k", 10, '{"v": 4}')


def test_aggregate_sums_newest_summary_per_license(open_store) -> None:
    store = open_store("m")

    def row(day: str, sessions: float) -> MetricsRow:
        return MetricsRow(
            day,
            {"date": day},
            sessions=sessions,
            turns=None,
            tokens_by_model={"m": 1e15},
            cost_by_model={"m": 0.1},
        )

    store.store_metrics(receipt("1", "u1"), row("2026-01-01", 1))
    store.store_metrics(receipt("2", "u2"), row("2026-01-01", 5))
    for i in range(20):  # large values do not overflow a sum
        store.store_metrics(receipt(f"x{i}", f"ux{i}", scope=f"kid/other-{i}"), row("2026-01-01", 1e12))
    [day] = store.aggregate_daily("2026-01-01", "2026-01-01")
    assert day["uploads"] == 22 and day["licenses"] == 21 and day["sessions"] == 5 + 20 * 10**12
    assert day["turns"] == 0 and day["tokens_by_model"] == {"m": 21 * 10**15}
    assert store.aggregate_daily("2026-01-02") == []


def test_config_from_env(tmp_path: Path) -> None:
    from ccp_assets.aggregator import AggregatorConfig

    env = {
        "CCP_HOME": str(tmp_path / "home"),
        "CCP_TRUSTED_KEYS": str(tmp_path / "k.json"),
        "CCP_AGGREGATOR_RATE_BURST": "7",
        "CCP_AGGREGATOR_MAX_EVENTS": "12",
    }
    config = AggregatorConfig.from_env(env)
    assert config.db_path == tmp_path / "home" / "aggregator.sqlite"
    assert config.trusted_keys == tmp_path / "k.json" and config.issuer is None
    assert (config.rate_burst, config.max_events, config.policy_file) == (7, 12, None)
    env["CCP_AGGREGATOR_TRUSTED_KEYS"] = str(tmp_path / "agg.json")
    config = AggregatorConfig.from_env(env, db_path=tmp_path / "x.sqlite")
    assert config.trusted_keys == tmp_path / "agg.json" and config.db_path == tmp_path / "x.sqlite"
