"""AgentOS side ledgers -> rows: glm_counts, churn_records, meter_snapshots (snapshots, claude_monitor),
codex_usage (codex_ccusage), proxy_telemetry, and old-style proxy lines kept by the tracker (turns of source
`agentos_proxy`). One handler per ledger file name (`HANDLERS`), each mapping a typed record to table rows;
a wrong JSON type is named by `Typed` and the record quarantined by the caller (normalize.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ccp_assets.sources.proxy_wire import DECISION_FIELDS, FAIL_WORDS, OK_WORDS, provider_of
from ccp_assets.sources.pyrecords import Line, Typed, duck_type_name, extras_of, record_hash

SOURCE = "agentos"
PROXY_TURN_SOURCE = "agentos_proxy"


def prov(line: Line, **kw: Any) -> dict[str, Any]:
    return {"source": SOURCE, "day": line.day, "file": line.file, "byte_offset": line.byte_offset,
            "line_no": line.line_no, **kw}


Out = list[tuple[str, dict[str, Any]]]


def _glm_counts(t: Typed, rec: dict, line: Line) -> Out:
    p = t.child("parsed")
    prompts = t.get("prompts_used", "num")
    parsed_prompts = p.get("prompts_used", "num")
    return [("glm_counts", prov(
        line, window=t.get("window", "str"), provider=t.get("provider", "str"), captured_at=t.get("captured_at", "ts"),
        prompts_used=prompts if prompts is not None else parsed_prompts, account=p.get("account", "str"),
        generated_at=p.get("generated_at", "ts"), blocks=p.get("blocks", "arr"), parse_errors=p.get("errors", "strlist"),
        notes=t.get("notes", "str"), origin=t.get("source", "str"), superseded=False,
        extras=with_raw(extras_of(rec, {"window", "provider", "captured_at", "prompts_used", "parsed", "notes",
                                         "source", "raw_text"}), rec)))]


def with_raw(extras: dict | None, rec: dict) -> dict | None:
    """raw_text is the tracker's capture of a screen or a file: kept (in extras) when no column holds it."""
    if isinstance(rec.get("raw_text"), str):
        return {**(extras or {}), "raw_text": rec["raw_text"]}
    return extras


def _churn(t: Typed, rec: dict, line: Line) -> Out:
    known = {"window", "provider", "methodology", "commit_start", "commit_end", "files_changed", "insertions",
             "deletions", "net", "features", "normalized_churn", "captured_at", "notes", "source", "schema_version",
             "tool_version"}
    return [("churn_records", prov(
        line, window=t.get("window", "str"), provider=t.get("provider", "str"), captured_at=t.get("captured_at", "ts"),
        methodology=t.get("methodology", "str"), commit_start=t.get("commit_start", "str"),
        commit_end=t.get("commit_end", "str"), files_changed=t.get("files_changed", "int"),
        insertions=t.get("insertions", "int"), deletions=t.get("deletions", "int"), net=t.get("net", "int"),
        features=t.get("features", "num"), normalized_churn=t.get("normalized_churn", "num"),
        notes=t.get("notes", "str"), superseded=False, schema_version=t.get("schema_version", "str"),
        tool_version=t.get("tool_version", "str"),
        extras=merge(extras_of(rec, known), {"origin": rec["source"]} if isinstance(rec.get("source"), str) else None)))]


def merge(a: dict | None, b: dict | None) -> dict | None:
    return {**(a or {}), **(b or {})} or None


METER_FIELDS = ("fiveh_pct", "weekly_pct", "session_pct", "all_models_pct", "opus_pct", "token_usage_pct")
SNAPSHOT_KEYS = {"window", "provider", "phase", "captured_at", "notes", "raw_text", "parsed", "source",
                 "schema_version", "tool_version"}


def _meter(t: Typed, rec: dict, line: Line, ledger: str) -> Out:
    p = t.child("parsed")
    row = prov(line, ledger=ledger, window=t.get("window", "str"), provider=t.get("provider", "str"),
                phase=t.get("phase", "str"), captured_at=t.get("captured_at", "ts"), notes=t.get("notes", "str"),
                raw_text=t.get("raw_text", "str"), parsed=t.get("parsed", "obj"), origin=t.get("source", "str"),
                parse_errors=p.get("errors", "strlist"),
                extras=merge(extras_of(rec, SNAPSHOT_KEYS),
                              {k: rec[k] for k in ("schema_version", "tool_version") if k in rec} or None))
    for k in METER_FIELDS:
        row[k] = p.get(k, "num")
    for k in ("tokens_used", "token_limit", "message_count"):
        row[k] = p.get(k, "int")
    row["burn_rate_per_min"] = p.get("burn_rate_per_min", "num")
    return [("meter_snapshots", row)]


CODEX_KEYS = {"window", "provider", "scope", "captured_at", "notes", "raw_text", "parsed", "source",
              "schema_version", "tool_version"}


def _codex_ccusage(t: Typed, rec: dict, line: Line) -> Out:
    p = t.child("parsed")
    scope = t.get("scope", "str") or p.get("scope", "str")
    common = prov(line, window=t.get("window", "str"), scope=scope, captured_at=t.get("captured_at", "ts"),
                   parse_errors=p.get("errors", "strlist"), superseded=False, origin="ledger",
                   extras=merge(extras_of(rec, CODEX_KEYS), {"provider": rec.get("provider"), "notes": rec.get("notes")}))
    raw = _raw_json(rec.get("raw_text"))
    out: Out = []
    if scope == "session":
        detail = {s.get("sessionId"): s for s in (raw or {}).get("sessions", []) if isinstance(s, dict)}
        sessions = p.get("sessions", "arr") or []
        for i, _s in enumerate(sessions):
            s = p.child(f"sessions.{i}")
            sid = s.get("session_id", "str")
            out.append(("codex_usage", {**common, "period": sid, "total_tokens": s.get("total_tokens", "int"),
                                        "cost_usd": s.get("cost_usd", "num"),
                                        "last_activity": s.get("last_activity", "ts"),
                                        **codex_detail(detail.get(sid))}))
        if not sessions:
            out.append(("codex_usage", {**common, "period": None, "total_tokens": p.get("total_tokens", "int"),
                                        "cost_usd": p.get("cost_usd", "num")}))
    elif scope == "daily":
        days = p.get("days", "arr") or []
        for i, _x in enumerate(days):
            s = p.child(f"days.{i}")
            out.append(("codex_usage", {**common, "period": s.get("date", "str"),
                                        "total_tokens": s.get("total_tokens", "int"), "cost_usd": s.get("cost_usd", "num"),
                                        "percent_used": s.get("percent_used", "num")}))
        if not days:  # keep the capture: it says what it could not parse
            out.append(("codex_usage", {**common, "period": None, "total_tokens": p.get("total_tokens", "int"),
                                        "cost_usd": p.get("cost_usd", "num")}))
    elif scope == "weekly":
        w = p.child("weekly")
        out.append(("codex_usage", {**common, "period": w.get("start_date", "str"),
                                    "total_tokens": w.get("tokens_used", "int") or p.get("total_tokens", "int"),
                                    "cost_usd": w.get("cost_usd", "num"), "percent_used": w.get("percent_used", "num"),
                                    "extras": merge(common["extras"], {"weekly": p.at("weekly")})}))
    else:
        out.append(("codex_usage", {**common, "period": None, "total_tokens": p.get("total_tokens", "int"),
                                    "cost_usd": p.get("cost_usd", "num"),
                                    "extras": merge(common["extras"], {"parsed": rec.get("parsed")})}))
    return out


def _raw_json(text: Any) -> dict | None:
    if not isinstance(text, str):
        return None
    try:
        v = json.loads(text)
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def codex_detail(s: dict | None) -> dict[str, Any]:
    """Token kinds of one ccusage Codex session (raw_text / document); wrong types are simply not taken."""
    if not isinstance(s, dict):
        return {}
    t = Typed(s)
    return {"input_tokens": t.get("inputTokens", "int"), "cached_input_tokens": t.get("cachedInputTokens", "int"),
            "output_tokens": t.get("outputTokens", "int"),
            "reasoning_output_tokens": t.get("reasoningOutputTokens", "int"), "models": t.get("models", "obj")}


def _proxy_telemetry(t: Typed, rec: dict, line: Line) -> Out:
    p = t.child("parsed")
    raw = t.get("raw_text", "str")
    known = {"window", "provider", "captured_at", "notes", "raw_text", "parsed", "source", "schema_version",
             "tool_version"}
    return [("proxy_telemetry", prov(
        line, window=t.get("window", "str"), provider=t.get("provider", "str"), captured_at=t.get("captured_at", "ts"),
        total=p.get("total", "int"), routed_to_glm_pct=p.get("routed_to_glm_pct", "num"),
        latency_p50_ms=p.get("latency_p50_ms", "num"), latency_p95_ms=p.get("latency_p95_ms", "num"),
        error_rate_pct=p.get("error_rate_pct", "num"), parse_errors=p.get("errors", "strlist"),
        sample_lines=len([x for x in raw.splitlines() if x.strip()]) if raw else None, notes=t.get("notes", "str"),
        extras=with_raw(merge(extras_of(rec, known), {k: rec[k] for k in ("source", "schema_version", "tool_version")
                                                        if k in rec} or None), rec))), *_captured_decisions(raw, line)]


def _captured_decisions(raw: str | None, line: Line) -> Out:
    """The proxy's decision lines a telemetry capture holds in raw_text: `routing_decisions` of source
    agentos_proxy (each decision is recorded nowhere else). The capture's completions stay a sample: the calls
    are counted once, from the proxy's own log or the tracker's proxy/*.jsonl lines, never from a capture."""
    out: Out = []
    for k, text in enumerate((raw or "").splitlines()):
        try:
            rec = json.loads(text)
        except ValueError:
            continue
        if not isinstance(rec, dict) or rec.get("event") != "decision":
            continue
        d = Typed(rec)
        vals = {f.col: (str(rec[f.path]) if f.kind == "text" and isinstance(rec.get(f.path), str | int) else
                        d.get(f.path, f.kind) if f.kind != "text" else None) for f in DECISION_FIELDS}
        row = prov(line, **vals, ts=d.get("ts", "ts"), type_drift=d.drift or None,
                   decision_id=f"{PROXY_TURN_SOURCE}:{vals['rid'] or '-'}:{record_hash([line.file, line.byte_offset, k])[:16]}",
                   extras=extras_of(rec, {f.path for f in DECISION_FIELDS} | {"ts", "event"}))
        row["source"] = PROXY_TURN_SOURCE
        out.append(("routing_decisions", row))
    return out


PROXY_LINE_KEYS = {"ts", "rid", "lane", "model", "status", "input_tokens", "output_tokens", "reason", "latency_ms",
                   "ttft_ms", "op", "upstream"}


def _proxy_line(t: Typed, rec: dict, line: Line) -> Out:
    """An old-style proxy line kept by the tracker: a turn (source agentos_proxy), wrong types -> type_drift."""
    drift = Typed(rec)
    status = rec.get("status")
    status_num = status if isinstance(status, int) and not isinstance(status, bool) else None
    status_text = status if isinstance(status, str) else None
    if status_text is not None and status_text.lower() in OK_WORDS:
        status_num = 200
    vals = {"rid": drift.get("rid", "str"), "lane": drift.get("lane", "str"), "model": drift.get("model", "str"),
            "tokens_in": drift.get("input_tokens", "int"), "tokens_out": drift.get("output_tokens", "int"),
            "reason": drift.get("reason", "str"), "latency_ms": drift.get("latency_ms", "num"),
            "ttft_ms": drift.get("ttft_ms", "num"), "op": drift.get("op", "str"), "upstream": drift.get("upstream", "str")}
    ts = drift.get("ts", "ts")
    type_drift = list(drift.drift)
    if status is not None and status_num is None and not (status_text and status_text.lower() in FAIL_WORDS):
        type_drift.append(f"status:{duck_type_name(status)}")
    row = prov(line, turn_id=f"{PROXY_TURN_SOURCE}:{vals['rid'] or '-'}:{record_hash([line.file, line.byte_offset, line.part])[:16]}",
                ts=ts or line.ts, status=status_num, status_text=status_text,
                event="error" if status_text and status_text.lower() in FAIL_WORDS else "completion",
                provider=provider_of(vals["upstream"], vals["lane"], vals["model"]),
                is_api_error=bool(status_text and status_text.lower() in FAIL_WORDS), part=line.part,
                type_drift=type_drift or None, extras=extras_of(rec, PROXY_LINE_KEYS), **vals)
    row["source"] = PROXY_TURN_SOURCE
    return [("turns", row)]


HANDLERS: dict[str, Callable[[Typed, dict, Line], Out]] = {
    "glm_counts": _glm_counts,
    "churn": _churn,
    "snapshots": lambda t, r, ln: _meter(t, r, ln, "snapshots"),
    "claude_monitor": lambda t, r, ln: _meter(t, r, ln, "claude_monitor"),
    "codex_ccusage": _codex_ccusage,
    "proxy_telemetry": _proxy_telemetry,
    "proxy_lines": _proxy_line,
}
