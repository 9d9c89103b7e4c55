"""The cross-source join: a Claude Code turn the proxy routed to GLM is attributed to GLM."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from tests.helpers import materialize_all, query
from tests.sources.gen import write_jsonl

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def cc_line(uid: str, at: datetime, model: str, request_id: str, tokens: tuple[int, int]) -> dict:
    return {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/w/app", "sessionId": "sess-1",
            "version": "2.1.39", "gitBranch": "main", "type": "assistant", "uuid": uid, "requestId": request_id,
            "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "message": {"id": f"msg_{uid}", "type": "message", "role": "assistant", "model": model,
                        "content": [{"type": "text", "text": "ok"}],
                        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1],
                                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 500}}}


def px(at: datetime, rid: str, lane: str, model: str, latency_ms: int, **kw) -> dict:
    return {"ts": at.timestamp(), "rid": rid, "lane": lane, "model": model, "input_tokens": 900, "output_tokens": 40,
            "status": 200, "reason": "ok", "op": "stream", "latency_ms": latency_ms,
            "upstream": "zai" if lane == "zai" else "anth", **kw}


def test_proxy_routed_turns_are_attributed_to_the_provider_that_answered(ccp_env, usage_dir):
    s = timedelta(seconds=1)
    transcript = [
        cc_line("a", T0 + 5 * s, "claude-haiku-4-5-20251001", "req_a", (10, 5)),        # routed to GLM
        cc_line("b", T0 + 300 * s, "claude-opus-4-6", "req_b", (20, 6)),                 # request id match
        cc_line("c", T0 + 600 * s, "claude-sonnet-4-5-20250929", "req_c", (30, 7)),      # never saw the proxy
        cc_line("d", T0 + 1200 * s, "claude-opus-4-6", "req_d", (40, 8)),                # same model beats a reroute
        cc_line("e", datetime(2026, 1, 5, 23, 59, 58, tzinfo=UTC), "claude-haiku-4-5-20251001", "req_e", (50, 9)),
    ]
    write_jsonl(ccp_env.projects() / "sess-1.jsonl", transcript)
    proxy = [
        {"ts": (T0 + 2 * s).timestamp(), "rid": "ra", "lane": "zai", "model": "glm-4.5-air", "status": -1,
         "event": "decision", "decision": "forced_model", "decision_reason": "quota_block", "upstream": "zai"},
        px(T0 + 7 * s, "ra", "zai", "glm-4.5-air", 3000),
        px(T0 + 340 * s, "rb", "anthropic", "claude-opus-4-6", 1000, request_id="req_b"),
        px(T0 + 1201 * s, "rd-glm", "zai", "glm-4.6", 800),
        px(T0 + 1203 * s, "rd", "anthropic", "claude-opus-4-6", 2500),
        px(T0 + 3600 * s, "other-client", "anthropic", "claude-sonnet-4-5-20250929", 1200),
        px(datetime(2026, 1, 6, 0, 0, 2, tzinfo=UTC), "re", "anthropic", "claude-haiku-4-5-20251001", 3500),
    ]
    write_jsonl(usage_dir / "usage.jsonl", proxy)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome and outcome.failures
    rows = {r[0]: r[1:] for r in query("""
        SELECT coalesce(claude_code_turn_id, proxy_turn_id), sources, match_rule, model, routed_model, provider, lane,
               decision, tokens_in, proxy_tokens_in, CAST(day AS VARCHAR)
        FROM unified_turns""")}
    by_msg = {k.split(":")[0]: v for k, v in rows.items() if k.startswith("msg_")}
    assert by_msg["msg_a"][:7] == (["claude_code", "ccp_proxy"], "time_window", "claude-haiku-4-5-20251001",
                                   "glm-4.5-air", "zai", "zai", "forced_model")
    assert by_msg["msg_a"][7:9] == (10, 900)  # the transcript's tokens; the proxy's kept beside them
    assert by_msg["msg_b"][1] == "request_id" and by_msg["msg_b"][4] == "anthropic"
    assert by_msg["msg_c"][:2] == (["claude_code"], None) and by_msg["msg_c"][4] == "anthropic"
    assert by_msg["msg_d"][1] == "time_window" and by_msg["msg_d"][3] == "claude-opus-4-6"
    assert by_msg["msg_e"][1] == "time_window" and by_msg["msg_e"][-1] == "2026-01-05"  # across midnight
    proxy_only = sorted((v[2], v[-1]) for k, v in rows.items() if not k.startswith("msg_"))
    assert proxy_only == [("claude-sonnet-4-5-20250929", "2026-01-05"), ("glm-4.6", "2026-01-05")]
    assert query("SELECT count(*) FROM unified_turns WHERE day = ?", [date(2026, 1, 6)])[0][0] == 0
    meta = outcome.materialized["unified_turns"]["metadata"]
    assert meta["rerouted_turns"] == 1 and meta["matched_by_request_id"] == 1
    # every API call is one row: 5 transcript turns + 2 calls only the proxy saw
    assert query("SELECT count(*), count(DISTINCT turn_id) FROM unified_turns")[0] == (7, 7)
    assert json.loads(json.dumps(meta["matched_by_time_window"])) == 3
