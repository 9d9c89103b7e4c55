"""CCP proxy usage logs: a generated day with every decision kind, counted against plain `json`."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import date

from tests.helpers import materialize_all, query
from tests.sources.gen import epoch, proxy_day, read_objects, write_jsonl

DAY = date(2026, 1, 5)


def _direct_counts(objs: list[dict]) -> dict:
    lanes: dict[str, Counter] = {}
    decisions: Counter = Counter()
    for o in objs:
        event = o.get("event")
        if event == "decision":
            decisions[(o["decision"], o.get("decision_reason"))] += 1
            continue
        c = lanes.setdefault(o["lane"], Counter())
        if event == "error":
            c["errors"] += 1
        else:
            c["requests"] += 1
            c["tokens_in"] += o.get("input_tokens", 0)
            c["tokens_out"] += o.get("output_tokens", 0)
    return {"lanes": lanes, "decisions": decisions}


def test_generated_day_normalizes_to_the_direct_count(usage_dir):
    prev = DAY.replace(day=4)
    write_jsonl(usage_dir / "usage.jsonl", proxy_day(DAY, 90), glue_every=13, stray_at=7)
    write_jsonl(usage_dir / "rotated" / f"usage-{prev:%Y%m%d}.jsonl", proxy_day(prev, 30, seed=9), glue_every=5)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome and outcome.failures
    for day, files in ((DAY, [usage_dir / "usage.jsonl"]), (prev, [usage_dir / "rotated" / f"usage-{prev:%Y%m%d}.jsonl"])):
        want = _direct_counts([o for f in files for o in read_objects(f)])
        got = {lane: Counter({k: v for k, v in zip(("requests", "errors", "tokens_in", "tokens_out"), r, strict=True)
                              if v}) for lane, *r in query(
            """SELECT lane, count(*) FILTER (WHERE event = 'completion'), count(*) FILTER (WHERE event = 'error'),
                      sum(tokens_in) FILTER (WHERE event = 'completion'), sum(tokens_out) FILTER (WHERE event = 'completion')
               FROM turns WHERE source = 'ccp_proxy' AND day = ? GROUP BY 1""", [day])}
        assert got == want["lanes"], day
        decisions = Counter({(d, r): n for d, r, n in query(
            "SELECT decision, decision_reason, count(*) FROM routing_decisions WHERE source = 'ccp_proxy' AND day = ? "
            "GROUP BY 1, 2", [day])})
        assert decisions == want["decisions"], day
    kinds = {r[0] for r in query("SELECT DISTINCT decision || ':' || coalesce(decision_reason, '') FROM routing_decisions")}
    assert kinds == {"pass_through:", "forced_model:quota_block", "forced_model:manual_override",
                     "failover_paused:fallback"}
    assert {r[0] for r in query("SELECT DISTINCT reroute_mode FROM routing_decisions")} == {"hybrid", "run2cap",
                                                                                             "preemptive"}
    assert {r[0] for r in query("SELECT DISTINCT err_type FROM turns WHERE event = 'error'")} == {
        "5xx", "429", "timeout", "net"}
    # correlated by rid: every flow's decision knows the completion that answered it, and vice versa
    assert query("SELECT count(*) FROM routing_decisions WHERE outcome_turn_id IS NULL")[0][0] == 0
    assert query("""SELECT count(*) FROM turns WHERE source = 'ccp_proxy' AND decision IS NULL
                    AND event = 'completion'""")[0][0] == 0
    # a failover's first error precedes its decision: that attempt has none
    assert query("""SELECT DISTINCT err_type FROM turns WHERE decision IS NULL""") == [("5xx",)]
    assert query("""SELECT DISTINCT t.provider, t.lane FROM turns t JOIN routing_decisions d ON d.outcome_turn_id = t.turn_id
                    WHERE d.decision = 'forced_model'""") == [("zai", "zai")]
    assert query("""SELECT count(*) FROM turns WHERE source = 'ccp_proxy' AND event = 'error'
                    AND (NOT is_api_error OR wasted_retry_ms IS NULL)""")[0][0] == 0
    # the stray {} is counted and skipped, glued lines split: nothing rejected
    assert query("SELECT kind, state FROM quarantine") == [("empty_object", "skipped")]
    meta = outcome.materialized["normalized_ccp_proxy"]["metadata"]
    assert meta["turns"] == query("SELECT count(*) FROM turns WHERE source = 'ccp_proxy'")[0][0]
    assert meta["quarantined"] == 1


def test_legacy_status_wrong_types_unknown_fields_and_a_truncated_line(usage_dir):
    ts = 1767607200.25  # 2026-01-05T10:00:00.25Z
    lines = [
        {"ts": "2026-01-05T06:50:00Z", "rid": "R1", "lane": "baseline", "model": "anthropic/haiku", "status": "ok",
         "input_tokens": 1200, "output_tokens": 300, "reason": "ok", "latency_ms": 420},
        {"ts": "2026-01-05T06:51:00Z", "rid": "R1", "lane": "glm", "model": "z.ai/glm-4.6", "status": "error",
         "input_tokens": 10, "output_tokens": 0, "reason": "fail", "latency_ms": 380},
        {"ts": ts, "rid": "R2", "lane": "zai", "model": "glm-4.6", "status": 200, "input_tokens": "123",
         "output_tokens": 45, "latency_ms": "900", "upstream": "zai", "brand_new": {"x": [1, 2]}},
        {"ts": ts + 1, "rid": "R3", "lane": "anthropic", "model": "claude-opus-4-6", "status": "teapot",
         "input_tokens": 1, "output_tokens": 2, "upstream": "anth"},
        {"ts": ts + 2, "rid": "R4", "lane": "zai", "model": "glm-4.6", "status": -1, "event": "decision",
         "decision": "forced_model", "decision_reason": "quota_block", "headroom_pct_rolling": "12.5",
         "cooldown_active": False, "future_knob": 3},
        {"ts": ts + 3, "rid": "R5", "event": "teleport"},
    ]
    write_jsonl(usage_dir / "usage.jsonl", lines, glue_every=2, tail='{"ts": 1767607300, "rid": "R9", "lane": "za')
    outcome = materialize_all()
    # numbers arriving as strings are NULL + named here, and the day's blocking drift checks say so (issue 4)
    drift = {c["check"]: c["metadata"]["summary"] for c in outcome.checks if not c["passed"] and c["partition"]}
    assert set(drift) == {"turns_suite", "routing_decisions_suite"}
    assert "input_tokens:VARCHAR" in drift["turns_suite"] and "headroom_pct_rolling" in drift["routing_decisions_suite"]
    rows = {r[0]: r[1:] for r in query("""SELECT rid, status, status_text, is_api_error, tokens_in, latency_ms,
                                                 type_drift, provider, extras FROM turns ORDER BY ts""")}
    assert rows["R1"][0] is None or rows["R1"][0] == 200
    assert query("SELECT status, status_text FROM turns WHERE rid = 'R1' ORDER BY ts") == [(200, "ok"), (None, "error")]
    assert query("SELECT is_api_error, provider FROM turns WHERE rid = 'R1' ORDER BY ts") == [(False, "anthropic"),
                                                                                              (True, "zai")]
    assert rows["R2"][3:6] == (None, None, ["input_tokens:VARCHAR", "latency_ms:VARCHAR"])
    assert json.loads(rows["R2"][7]) == {"brand_new": {"x": [1, 2]}}
    assert rows["R3"][0:2] == (None, "teapot") and rows["R3"][5] == ["status:VARCHAR"]
    assert query("SELECT headroom_pct_rolling, type_drift, extras FROM routing_decisions") == [
        (None, ["headroom_pct_rolling:VARCHAR"], '{"future_knob":3}')]
    q = dict(query("SELECT kind, state FROM quarantine"))
    assert q == {"truncated": "held", "unknown_type": "skipped"}
    assert outcome.materialized["raw_ccp_proxy"]["metadata"]["landing_pass"]["held_lines"] == 0  # landed before the run


def test_metrics_summaries_backfill_days_without_a_log(usage_dir):
    write_jsonl(usage_dir / "usage.jsonl", proxy_day(DAY, 12))
    results = usage_dir / "results"
    results.mkdir()

    def summary(day: str, n: int) -> dict:
        return {"schema": "ccp.metrics.v1", "date": day, "generated_at": f"{day}T23:59:00Z", "total_requests": n,
                "byLane": {"anthropic": {"count": n - 2, "errors": 1, "input_tokens": 1000, "output_tokens": 50,
                                         "p50_ms": 900.0, "p95_ms": 4000.0},
                           "zai": {"count": 2, "errors": 0, "input_tokens": 300, "output_tokens": 20, "p50_ms": 1200.0,
                                   "p95_ms": 3000.0}},
                "decisions": {"pass_through": n - 2, "forced_model": 2}, "errors_by_type": {"5xx": 1},
                "byModel": {"glm-4.6": {"input_tokens": 300, "output_tokens": 20, "requests": 2}}, "host": "ci-1"}

    (results / "METRICS-2026-01-03.json").write_text(json.dumps(summary("2026-01-03", 40), indent=2))
    (results / "METRICS-2026-01-05.json").write_text(json.dumps(summary("2026-01-05", 12), indent=2))
    broken = results / "METRICS-broken.json"
    broken.write_text('{"date": "2026-01-0')
    os.utime(broken, (epoch(DAY, 1), epoch(DAY, 1)))  # no date of its own: it lands on its mtime's day
    assert materialize_all(start="2026-01-01", end="2026-01-06").success
    assert query("SELECT CAST(day AS VARCHAR), backfill, total_requests, extras FROM proxy_daily_summaries ORDER BY 1") == [
        ("2026-01-03", True, 40, '{"host":"ci-1"}'), ("2026-01-05", False, 12, '{"host":"ci-1"}')]
    # a lane's `count` is its completions; its `errors` are failed attempts on top: requests = 38 + 1
    assert query("""SELECT lane, completions, errors, requests, input_tokens, p95_ms FROM proxy_summary_lanes
                    WHERE backfill ORDER BY lane""") == [("anthropic", 38, 1, 39, 1000, 4000.0),
                                                         ("zai", 2, 0, 2, 300, 3000.0)]
    bad = query("SELECT kind, file, state FROM quarantine WHERE stage = 'normalize' AND kind = 'invalid_json'")
    assert bad == [("invalid_json", str(results / "METRICS-broken.json"), "rejected")]
    # a rewritten summary replaces its day's row, it does not add one
    (results / "METRICS-2026-01-03.json").write_text(json.dumps(summary("2026-01-03", 41), indent=2))
    assert materialize_all(start="2026-01-03", end="2026-01-03").success
    assert query("SELECT total_requests FROM proxy_daily_summaries WHERE day = '2026-01-03'") == [(41,)]
