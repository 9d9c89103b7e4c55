"""CCP proxy usage log: every decision and error kind, retries, and the warts parsers must survive."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from tests.demo.conftest import Corpus, split_objects


def _records(corpus: Corpus) -> tuple[list[dict], Counter[str]]:
    recs: list[dict] = []
    warts: Counter[str] = Counter()
    for path in sorted((corpus.out / "ccp").glob("usage*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            objs = split_objects(line)
            warts["glued"] += len(objs) > 1
            warts["empty"] += objs == [{}]
            recs += [o for o in objs if o]
    return recs, warts


def test_files_rotate_and_results_backfill(corpus: Corpus) -> None:
    names = sorted(p.name for p in (corpus.out / "ccp").glob("usage*.jsonl"))
    assert names[-1] == "usage.jsonl" and len(names) == 7
    results = sorted((corpus.out / "ccp" / "results").glob("METRICS-*.json"))
    assert len(results) == 2
    for p in results:
        data = json.loads(p.read_text())
        assert data["date"] < corpus.manifest.start.isoformat()
        assert set(data["byLane"]) == {"anthropic", "zai"} and {"p50_ms", "p95_ms", "count"} <= set(data["byLane"]["zai"])


def test_every_decision_error_and_wart_is_present(corpus: Corpus) -> None:
    recs, warts = _records(corpus)
    assert warts["glued"] >= 3 and warts["empty"] >= 1
    old = [r for r in recs if isinstance(r["ts"], str)]
    assert len(old) == 2 and all(r["status"] == "ok" for r in old)
    new = [r for r in recs if not isinstance(r["ts"], str)]
    assert all(isinstance(r["ts"], float) for r in new)
    decisions = [r for r in new if r.get("event") == "decision"]
    assert {r["decision"] for r in decisions} == {"forced_model", "failover_paused", "pass_through"}
    assert {r.get("decision_reason") for r in decisions} >= {"quota_block", "fallback", "manual_override"}
    assert all(r["status"] == -1 and "headroom_pct_weekly" in r and "reroute_mode" in r for r in decisions)
    assert any(r["cooldown_active"] for r in decisions)
    errors = [r for r in new if r.get("event") == "error"]
    assert {r["err_type"] for r in errors} == {"429", "5xx", "net", "timeout"}
    by_rid: dict[str, list[dict]] = defaultdict(list)
    for r in new:
        by_rid[r["rid"]].append(r)
    for e in errors:
        after = [r for r in by_rid[e["rid"]] if "event" not in r and r["ts"] >= e["ts"]]
        assert after and after[-1]["status"] == 200, "an error is followed by its retry"
        assert e["retry"] is True and e["backoff_ms"] > 0 and "wasted_retry_ms" in e
    done = [r for r in new if "event" not in r]
    assert {r["lane"] for r in done} == {"anthropic", "zai"}
    assert {r["model"] for r in done if r["lane"] == "zai"} == {"glm-4.6", "glm-4.5-air"}
    assert all(r["model"].startswith("claude-") for r in done if r["lane"] == "anthropic")
    assert {r["op"] for r in done} == {"stream", "nonstream"}
    assert all("ttft_ms" in r and "stream_ms" in r for r in done if r["op"] == "stream")
    assert len(by_rid) > 300


def test_every_transcript_api_call_went_through_the_proxy(corpus: Corpus) -> None:
    responses = set()
    for path in corpus.transcripts():
        for d in corpus.lines(path):
            if d["type"] == "assistant" and d.get("requestId"):
                responses.add((d["message"]["id"], d["requestId"]))
    recs, _ = _records(corpus)
    requests = sum(1 for r in recs if r.get("event") == "decision")
    assert len(responses) <= requests <= len(responses) + 30 * 7
