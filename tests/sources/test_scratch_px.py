import json
from datetime import date
from tests.sources.gen import proxy_day, write_jsonl, read_objects
from tests.helpers import materialize_all, query

def test_px(ccp_env, monkeypatch):
    logs = ccp_env.tmp / "ccp"
    d = date(2026, 1, 5)
    evs = proxy_day(d, 40)
    evs[5]["input_tokens"] = "123"
    evs[6]["future_field"] = {"x": 1}
    evs.insert(0, {"ts": "2026-01-05T06:50:00Z", "rid": "R1", "lane": "baseline", "model": "anthropic/haiku", "status": "ok", "input_tokens": 1200, "output_tokens": 300, "reason": "ok", "latency_ms": 420})
    write_jsonl(logs / "usage.jsonl", evs, glue_every=7, stray_at=3, tail='{"ts": 1767600000, "rid"')
    (logs / "results").mkdir()
    (logs / "results" / "METRICS-2026-01-03.json").write_text(json.dumps({"schema": "ccp.metrics.v1", "date": "2026-01-03", "total_requests": 5, "byLane": {"anthropic": {"count": 3, "errors": 1, "input_tokens": 10, "output_tokens": 5, "p50_ms": 1, "p95_ms": 2}}, "decisions": {"pass_through": 3}}, indent=2))
    monkeypatch.setenv("CCP_USAGE_LOG_DIR", str(logs))
    out = materialize_all()
    assert out.success, out.failures
    print(out.materialized["normalized_ccp_proxy"])
    print(out.materialized["raw_ccp_proxy"])
    for r in query("select lane, event, count(*), sum(tokens_in), sum(tokens_out), count(type_drift) from turns group by all order by all"): print(r)
    for r in query("select decision, decision_reason, count(*), count(outcome_turn_id) from routing_decisions group by all order by all"): print(r)
    print(query("select type_drift, extras from turns where type_drift is not null or extras::varchar like '%future%'"))
    print(query("select * from quarantine"))
    print(query("select * from proxy_summary_lanes"))
    print(query("select day, backfill, total_requests from proxy_daily_summaries"))
    print(query("select status, status_text, provider, model from turns where status_text is not null"))
