"""Exported whole-JSON AgentOS captures (ccusage/*.json, glm/*.json, ccc/*usage*.json; one export line per
version, sources/exports.py) -> glm_counts, codex_usage and meter_snapshots rows. A capture that failed
to parse, or has a field of the wrong type, is quarantined with its file and reason.
"""

from __future__ import annotations

import json

from ccp_assets.sources.agentos.ledgers import SOURCE, Out, codex_detail, merge
from ccp_assets.sources.pyrecords import Line, Quarantine, Typed, extras_of

Rows = dict[str, list[dict]]


def document(obj: dict, line: Line, rows: Rows, q: Quarantine) -> None:
    path = obj.get("source_file") or line.file
    if "error" in obj:
        q.add("invalid_json", path, None, None, line.day, f"AgentOS capture {obj.get('doc_kind')}: {obj['error']}",
              obj.get("excerpt") or "")
        return
    doc, kind = obj.get("doc"), obj.get("doc_kind")
    t = Typed(doc)
    prov = {"source": SOURCE, "day": line.day, "file": path, "byte_offset": None, "line_no": None}
    out: Out = []
    if not isinstance(doc, dict):
        t.problems.append(f"(document): expected object, got {type(doc).__name__}")
    elif kind == "glm_ccusage":
        gen = t.get("generated_at", "ts")
        blocks = t.get("blocks", "arr")
        common = {**prov, "account": t.get("account", "str"), "generated_at": gen, "captured_at": gen,
                  "origin": "ccusage_doc", "superseded": False, "extras": extras_of(doc, {"account", "generated_at", "blocks"})}
        for i, _b in enumerate(blocks or []):
            b = t.child(f"blocks.{i}")
            out.append(("glm_counts", {**common, "window": b.get("window_id", "str"), "provider": b.get("provider", "str"),
                                       "prompts_used": b.get("prompts_used", "num"), "blocks": [doc["blocks"][i]],
                                       "notes": b.get("notes", "str")}))
        if not blocks:
            out.append(("glm_counts", {**common, "window": None, "prompts_used": None, "parse_errors": ["no-blocks"]}))
    elif kind == "ccusage":
        out.extend(_ccusage_doc(t, doc, prov))
    elif kind == "ccc_usage":
        ts = t.get("ts", "ts")
        for m in t.get("models", "obj") or {}:
            mt = t.child(f"models.{m}")
            out.append(("meter_snapshots", {**prov, "ledger": "ccc_usage", "provider": mt.get("provider", "str"),
                                            "model": m, "captured_at": ts, "rolling_pct": mt.get("rolling_pct", "num"),
                                            "weekly_pct": mt.get("weekly_pct", "num"), "reqs": mt.get("reqs", "int"),
                                            "parsed": doc["models"][m], "origin": "ccc_usage_doc",
                                            "extras": merge(extras_of(doc, {"ts", "models"}), None)}))
    if t.problems:
        q.add("wrong_type", path, None, None, line.day, f"AgentOS capture {kind}: wrong type: " + "; ".join(t.problems),
              json.dumps(doc)[:160])
        return
    for table, row in out:
        rows[table].append(row)


def _ccusage_doc(t: Typed, doc: dict, prov: dict) -> Out:
    common = {**prov, "captured_at": t.get("generated_at", "ts"), "origin": "ccusage_doc", "superseded": False,
              "window": None}
    out: Out = []
    if isinstance(doc.get("sessions"), list):
        for i, _s in enumerate(doc["sessions"]):
            s = t.child(f"sessions.{i}")
            out.append(("codex_usage", {**common, "scope": "session", "period": s.get("sessionId", "str"),
                                        "total_tokens": s.get("totalTokens", "int"), "cost_usd": s.get("costUSD", "num"),
                                        "last_activity": s.get("lastActivity", "ts"),
                                        **codex_detail(doc["sessions"][i]),
                                        "extras": extras_of(doc["sessions"][i], {
                                            "sessionId", "totalTokens", "costUSD", "lastActivity", "inputTokens",
                                            "cachedInputTokens", "outputTokens", "reasoningOutputTokens", "models"})}))
        return out
    view = t.get("view", "str")
    if view == "daily" or isinstance(doc.get("days"), list):
        for i, _x in enumerate(t.get("days", "arr") or []):
            s = t.child(f"days.{i}")
            out.append(("codex_usage", {**common, "scope": "daily", "period": s.get("date", "str"),
                                        "total_tokens": s.get("totalTokens", "int"), "cost_usd": s.get("costUSD", "num"),
                                        "percent_used": s.get("percentUsed", "num"),
                                        "extras": extras_of(doc, {"view", "generated_at", "days"})}))
    elif view == "weekly" or isinstance(doc.get("currentWeek"), dict):
        w = t.child("currentWeek")
        out.append(("codex_usage", {**common, "scope": "weekly", "period": w.get("startDate", "str"),
                                    "total_tokens": w.get("tokensUsed", "int"), "cost_usd": w.get("costUSD", "num"),
                                    "percent_used": w.get("percentUsed", "num"),
                                    "extras": extras_of(doc, {"view", "generated_at", "currentWeek"})}))
    else:
        out.append(("codex_usage", {**common, "scope": view or "unknown", "period": None,
                                    "extras": extras_of(doc, {"generated_at"})}))
    return out
