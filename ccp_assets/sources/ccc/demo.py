"""The AgentOS CCC client's unified event log (`ccc_events.jsonl`), one session at a time.

Entities follow the AgentOS v1 JSON Schemas exactly (they forbid extra properties), and share ids with
the transcripts (session_id = Claude Code sessionId, turn_id = the prompt's uuid) so both can be joined.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from ccp_assets.demo.ids import iso_us
from ccp_assets.demo.sink import Sink
from ccp_assets.demo.world import FEATURES, HAIKU, OPUS, RepoResult, SessionSummary

PRICE_PER_MTOK = {OPUS: (5.0, 25.0), HAIKU: (1.0, 5.0)}
"""(input, output) USD per million tokens: the client's rough estimate, not the platform's price table."""
_DEFAULT_PRICE = (3.0, 15.0)
CACHED_SHARE = 0.1
"""Most input is cache reads; the client prices input at 10% of list as a blended guess."""
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _commit_for(s: SessionSummary, repo: RepoResult | None) -> str:
    if s.project.repo_backed and repo is not None:
        return repo.head_at(dt.datetime.fromtimestamp(s.start_ms / 1000, dt.UTC))
    return hashlib.sha1(f"{s.project.name}:{s.start_ms // 86_400_000}".encode()).hexdigest()


def write_session(sink: Sink, path: Path, s: SessionSummary, repo: RepoResult | None, privacy_tier: str = "local") -> None:
    """session, one turn per prompt and per subagent run, session_end."""
    put = sink.append
    put("agentos", path, _dumps({"type": "session", "session": {
        "session_id": s.session_id, "repo_id": s.project.name, "branch": s.branch, "commit": _commit_for(s, repo),
        "license_id": "lic-demo-0001", "privacy_tier": privacy_tier, "created_at": iso_us(s.start_ms),
        "metadata": {"source": "claude-code", "cwd": s.project.cwd, "version": s.version, "client": "ccc-0.3.1"}}}))
    main_turns = [t for t in s.turns if t.subagent == "main"]
    last_main = main_turns[-1].turn_id if main_turns else None
    for t in sorted(s.turns, key=lambda x: x.ts_ms):
        pin, pout = PRICE_PER_MTOK.get(t.model, _DEFAULT_PRICE)
        usd = round((t.tokens_in * pin * CACHED_SHARE + t.tokens_out * pout) / 1e6, 6)
        line: dict = {"type": "turn", "ts": iso_us(t.ts_ms),
                      "turn": {"turn_id": t.turn_id, "session_id": s.session_id, "model": t.model, "subagent": t.subagent,
                               "tokens_in": t.tokens_in, "tokens_out": t.tokens_out, "input_kind": t.input_kind,
                               "latency_ms": t.latency_ms},
                      "cost": {"provider": "anthropic", "unit_costs": {"input_per_mtok": pin, "output_per_mtok": pout},
                               "estimated_usd": usd}}
        if t.turn_id == last_main and s.feature_shipped:
            line.update(_feature_payload(s))
        put("agentos", path, _dumps(line))
    put("agentos", path, _dumps({"type": "session_end", "session_id": s.session_id, "ended_at": iso_us(s.end_ms),
                                 "turns": len(s.turns), "features_completed": int(s.feature_shipped),
                                 "interaction_minutes": round(s.interaction_ms / 60_000, 2)}))


def _feature_payload(s: SessionSummary) -> dict:
    if s.project.repo_backed:
        f = FEATURES[int(s.session_id[:8], 16) % len(FEATURES)]
        fid, ref = f.feature_id, f"features/{f.stem}.feature:2"
    else:
        fid, ref = f"{s.project.name}-{s.session_id[:6]}", f"features/{s.project.name}.feature:1"
    impf = round(s.interaction_ms / 60_000, 2)
    return {"feature": {"feature_id": fid, "spec_ref": ref, "status": "implemented"},
            "measurement": {"cls": round((int(s.session_id[9:13], 16) % 240) / 100 - 0.8, 2), "impf": impf,
                            "churn_score": round((int(s.session_id[14:18], 16) % 40) / 100, 2), "feature_delta": 1,
                            "errors": []},
            "value": {"summary": f"{fid} scenarios pass", "links": [], "evidence_refs": [ref]},
            "decision": {"reroute_mode": "hybrid", "reroute_decision": "stay", "preferred_attempt": 0,
                         "warn_pct_auto": 0.72, "warn_pct_confidence": 0.35, "gap_seconds_p50": 12,
                         "gap_seconds_p95": 48, "gap_samples": 14, "warn_pct_cfg": 0.8}}
