"""AgentOS landed lines -> `windows`, `glm_counts`, `churn_records`, `meter_snapshots`, `codex_usage`,
`proxy_telemetry` and (old-style proxy samples) `turns` rows for one day.

Windows (METRICS.md):
- One row per record and provider (`providers.<p>`; a provider with features but no meter gets a row
  with no capacity and says so in `errors`). `day` is finalized_at's day in CCP_TIMEZONE.
- Capacity: the recorded 5-hour delta (`fiveh_pct` for Codex, `session_pct` for Claude), unit 'pp';
  when it is missing or negative (the bar reset inside the window) the weekly delta (`weekly_pct`,
  `all_models_pct`) is used and `errors` says so. GLM: `prompts_used` (the window's own delta, else the
  latest glm_counts record of the same window), unit 'prompts'.
- quality_score: `quality_score` when recorded, else `quality`, else 1.0 with the gap in `errors`
  (`quality_source` tells which; the churn-based fallback is the measurement layer's job).
- Supersede rule: records are append-only with corrections. Per window id the record with the latest
  finalized_at wins (a tie goes to the later line); an exact duplicate (same canonical JSON) counts once
  (the first copy; later copies have `duplicate` = true). Every other row stays as history with
  `superseded` = true. The flags are recomputed over the whole table after each day, so a correction
  landing on a later day also retires the earlier day's row.
Side ledgers: glm_counts and codex_usage keep the latest capture per window / (scope, period) as
current, churn_records the latest per (window, provider); earlier captures stay with `superseded`.

A record with a field of the wrong JSON type (or without `window` / `finalized_at` on a window) is
quarantined (stage normalize, kind wrong_type / missing_field) with every offending field named;
fields nobody maps are kept in `extras`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from ccp_assets.settings import Settings
from ccp_assets.sources.agentos import ledger_of
from ccp_assets.sources.ccp_proxy_normalize import FAIL_WORDS, OK_WORDS, provider_of
from ccp_assets.sources.landing import day_files
from ccp_assets.sources.pyrecords import (
    Line,
    Quarantine,
    Typed,
    duck_type_name,
    extras_of,
    insert_rows,
    read_lines,
    record_hash,
)
from ccp_assets.warehouse.tx import transaction

SOURCE = "agentos"
PROXY_TURN_SOURCE = "agentos_proxy"
SIDE_TABLES = ("glm_counts", "churn_records", "meter_snapshots", "codex_usage", "proxy_telemetry")
FIVE_HOUR = ("fiveh_pct", "session_pct")
WEEKLY = ("weekly_pct", "all_models_pct")
PP_PROVIDERS = {"codex", "claude"}


@dataclass
class AgentOsResult:
    day: str
    lines: int = 0
    ledgers: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    windows_current: int = 0


Rows = dict[str, list[dict[str, Any]]]


def normalize_day(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str) -> AgentOsResult:
    """Replace this day's AgentOS rows in every ledger table (idempotent), then refresh supersede flags."""
    res = AgentOsResult(day)
    d = date.fromisoformat(day)
    lines = [ln for ln in read_lines(conn, day_files(settings, SOURCE, [day]), settings.timezone.replace("'", ""))
             if ln.day == d]
    q = Quarantine(SOURCE)
    rows: Rows = {t: [] for t in ("windows", "turns", *SIDE_TABLES)}
    window_recs: list[tuple[Line, dict]] = []
    seen_exports: set[str] = set()
    for line in lines:
        res.lines += 1
        obj = line.json()
        if isinstance(obj, dict) and obj.get("ccp_export") == "document":
            if obj.get("export_key") in seen_exports:
                continue
            seen_exports.add(obj.get("export_key"))
            kind = f"doc:{obj.get('doc_kind')}"
            res.ledgers[kind] = res.ledgers.get(kind, 0) + 1
            _document(obj, line, rows, q)
            continue
        ledger = ledger_of(line.file)
        res.ledgers[ledger] = res.ledgers.get(ledger, 0) + 1
        if ledger == "windows":
            window_recs.append((line, obj))
            continue
        handler = HANDLERS[ledger]
        t = Typed(obj)
        out = handler(t, obj, line)
        if t.problems:
            q.wrong_type(line, t.problems, f"AgentOS {ledger} record")
            continue
        for table, row in out:
            rows[table].append(row)
    with transaction(conn):
        conn.execute("DELETE FROM windows WHERE source = ? AND day = ?", [SOURCE, d])
        conn.execute("DELETE FROM turns WHERE source = ? AND day = ?", [PROXY_TURN_SOURCE, d])
        for table in SIDE_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE source = ? AND day = ?", [SOURCE, d])
        conn.execute("DELETE FROM quarantine WHERE source = ? AND stage = 'normalize' AND day = ?", [SOURCE, d])
        for table in SIDE_TABLES:
            res.rows[table] = insert_rows(conn, table, rows[table])
        glm = _glm_prompts(conn)
        for line, obj in window_recs:
            t = Typed(obj)
            out = _window_rows(t, obj, line, glm)
            if t.problems:
                q.wrong_type(line, t.problems, "AgentOS windows record")
                continue
            rows["windows"].extend(out)
        res.rows["windows"] = insert_rows(conn, "windows", rows["windows"])
        res.rows["turns"] = insert_rows(conn, "turns", rows["turns"])
        refresh_superseded(conn)
        res.quarantined = q.flush(conn)
        res.windows_current = conn.execute(
            "SELECT count(*) FROM windows WHERE source = ? AND day = ? AND NOT superseded", [SOURCE, d]).fetchone()[0]
    return res


def refresh_superseded(conn: duckdb.DuckDBPyConnection) -> None:
    """Recompute the supersede flags of every AgentOS table over all days (the ledgers are small)."""
    conn.execute(f"""
        WITH rec AS (
            SELECT DISTINCT "window", record_hash, file, byte_offset, finalized_at FROM windows WHERE source = '{SOURCE}'
        ), canon AS (
            SELECT *, row_number() OVER (PARTITION BY "window", record_hash ORDER BY file, byte_offset) AS occ FROM rec
        ), winner AS (
            SELECT "window", record_hash, file, byte_offset, row_number() OVER (
                PARTITION BY "window" ORDER BY finalized_at DESC, file DESC, byte_offset DESC) AS rk
            FROM canon WHERE occ = 1
        ), flags AS (
            SELECT c."window", c.record_hash, c.file, c.byte_offset, c.occ > 1 AS dup,
                   NOT (c.occ = 1 AND w.rk = 1) AS sup
            FROM canon c LEFT JOIN winner w USING ("window", record_hash, file, byte_offset)
        )
        UPDATE windows SET duplicate = flags.dup, superseded = flags.sup FROM flags
        WHERE windows.source = '{SOURCE}' AND windows."window" = flags."window"
          AND windows.record_hash = flags.record_hash AND windows.file = flags.file
          AND windows.byte_offset IS NOT DISTINCT FROM flags.byte_offset""")
    for table, key in (("glm_counts", '"window"'), ("churn_records", '"window", provider'),
                       ("codex_usage", "scope, period")):
        conn.execute(f"""
            WITH r AS (
                SELECT rowid AS rid, row_number() OVER (PARTITION BY {key}
                    ORDER BY captured_at DESC NULLS LAST, file DESC, byte_offset DESC NULLS LAST) AS rk
                FROM {table} WHERE source = '{SOURCE}'
            )
            UPDATE {table} SET superseded = r.rk > 1 FROM r WHERE {table}.rowid = r.rid""")


def _glm_prompts(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Latest GLM prompts_used per window over every glm_counts row the warehouse holds."""
    return dict(conn.execute("""SELECT "window", arg_max(prompts_used, captured_at) FROM glm_counts
        WHERE "window" IS NOT NULL AND prompts_used IS NOT NULL GROUP BY 1""").fetchall())


def _prov(line: Line, **kw: Any) -> dict[str, Any]:
    return {"source": SOURCE, "day": line.day, "file": line.file, "byte_offset": line.byte_offset,
            "line_no": line.line_no, **kw}


# -- windows -------------------------------------------------------------------------------------------

WINDOW_KEYS = {"window", "finalized_at", "features", "quality", "quality_score", "outcome", "notes", "providers",
               "schema_version", "tool_version", "commit_range", "churn", "methodology"}


def _window_rows(t: Typed, rec: dict, line: Line, glm: dict[str, float]) -> list[dict[str, Any]]:
    wid = t.get("window", "str", required=True)
    fin = t.get("finalized_at", "ts", required=True)
    features = t.get("features", "obj") or {}
    feats = {p: t.get(f"features.{p}", "num") for p in features}
    recorded_qs, recorded_q = t.get("quality_score", "num"), t.get("quality", "num")
    base = {
        "window": wid, "finalized_at": fin, "outcome": t.get("outcome", "str"), "notes": t.get("notes", "str"),
        "methodology": t.get("methodology", "str"), "commit_range": t.get("commit_range", "str"),
        "schema_version": t.get("schema_version", "str"), "tool_version": t.get("tool_version", "str"),
        "record_hash": record_hash(rec), "superseded": False, "duplicate": False,
        "extras": extras_of(rec, WINDOW_KEYS) or None,
    }
    if t.get("churn", "obj") is not None:
        base["extras"] = {**(base["extras"] or {}), "churn": rec["churn"]}
    errors: list[str] = []
    if recorded_qs is not None:
        base["quality_score"], base["quality_source"] = recorded_qs, "quality_score"
    elif recorded_q is not None:
        base["quality_score"], base["quality_source"] = recorded_q, "quality"
    else:
        base["quality_score"], base["quality_source"] = 1.0, "default"
        errors.append("quality_score: not recorded, 1.0 assumed")
    providers = t.get("providers", "obj") or {}
    out = []
    for p in providers:
        pt = t.child(f"providers.{p}")
        if pt.record is not providers[p]:
            t.problems.append(f"providers.{p}: expected object, got {type(providers[p]).__name__}")
            continue
        before, after, delta = pt.get("before", "obj"), pt.get("after", "obj"), pt.get("delta", "obj") or {}
        nums = {k: pt.get(f"delta.{k}", "num") for k in delta}
        row_errors = list(errors)
        raw, unit = _capacity(p, nums, wid, glm, row_errors)
        for e in pt.get("errors", "strlist") or []:
            row_errors.append(f"{p} meter: {e}")
        five = next((nums[k] for k in FIVE_HOUR if nums.get(k) is not None), None)
        week = next((nums[k] for k in WEEKLY if nums.get(k) is not None), None)
        out.append(_prov(line, **base, provider=p, features=_int(feats.get(p)), capacity_raw=raw,
                         capacity_unit=unit, capacity_5h_delta=five, capacity_weekly_delta=week,
                         before=before, after=after, delta=delta or None,
                         captured_before=pt.get("captured_at.before", "ts"),
                         captured_after=pt.get("captured_at.after", "ts"), errors=row_errors or None))
        extra_p = {k: v for k, v in providers[p].items() if k not in ("before", "after", "delta", "captured_at",
                                                                       "errors", "notes")}
        if extra_p or providers[p].get("notes"):
            out[-1]["extras"] = {**(out[-1]["extras"] or {}), f"providers.{p}": {
                **extra_p, **({"notes": providers[p]["notes"]} if providers[p].get("notes") else {})}}
    for p, n in feats.items():
        if p not in providers and n:
            out.append(_prov(line, **base, provider=p, features=_int(n), capacity_raw=None,
                             capacity_unit="prompts" if p == "glm" else "pp" if p in PP_PROVIDERS else None,
                             errors=[*errors, f"{p}: features recorded but no meter in providers"]))
    if not out:
        out.append(_prov(line, **base, provider=None, errors=[*errors, "no providers recorded"]))
    return out


def _int(v: float | None) -> int | None:
    return None if v is None else int(v)


def _capacity(p: str, nums: dict[str, float | None], wid: str | None, glm: dict[str, float],
              errors: list[str]) -> tuple[float | None, str | None]:
    if nums.get("prompts_used") is not None:
        return nums["prompts_used"], "prompts"
    if p == "glm":
        if wid in glm:
            return glm[wid], "prompts"
        errors.append("glm: no prompt count (windows delta or glm_counts.jsonl)")
        return None, "prompts"
    five_key = next((k for k in FIVE_HOUR if k in nums), None)
    week_key = next((k for k in WEEKLY if k in nums), None)
    five = nums.get(five_key) if five_key else None
    week = nums.get(week_key) if week_key else None
    if five is not None and five >= 0:
        return five, "pp"
    why = "missing" if five is None else f"negative ({five:g}: the bar reset inside the window)"
    if week is not None and week >= 0:
        errors.append(f"{p}: 5-hour delta {why}; weekly delta {week_key} used")
        return week, "pp"
    errors.append(f"{p}: 5-hour delta {why} and no usable weekly delta: capacity unknown")
    return None, "pp" if p in PP_PROVIDERS or five_key or week_key else None


# -- side ledgers --------------------------------------------------------------------------------------

Out = list[tuple[str, dict[str, Any]]]


def _glm_counts(t: Typed, rec: dict, line: Line) -> Out:
    p = t.child("parsed")
    prompts = t.get("prompts_used", "num")
    parsed_prompts = p.get("prompts_used", "num")
    return [("glm_counts", _prov(
        line, window=t.get("window", "str"), provider=t.get("provider", "str"), captured_at=t.get("captured_at", "ts"),
        prompts_used=prompts if prompts is not None else parsed_prompts, account=p.get("account", "str"),
        generated_at=p.get("generated_at", "ts"), blocks=p.get("blocks", "arr"), parse_errors=p.get("errors", "strlist"),
        notes=t.get("notes", "str"), origin=t.get("source", "str"), superseded=False,
        extras=_with_raw(extras_of(rec, {"window", "provider", "captured_at", "prompts_used", "parsed", "notes",
                                         "source", "raw_text"}), rec)))]


def _with_raw(extras: dict | None, rec: dict) -> dict | None:
    """raw_text is the tracker's capture of a screen or a file: kept (in extras) when no column holds it."""
    if isinstance(rec.get("raw_text"), str):
        return {**(extras or {}), "raw_text": rec["raw_text"]}
    return extras


def _churn(t: Typed, rec: dict, line: Line) -> Out:
    known = {"window", "provider", "methodology", "commit_start", "commit_end", "files_changed", "insertions",
             "deletions", "net", "features", "normalized_churn", "captured_at", "notes", "source", "schema_version",
             "tool_version"}
    return [("churn_records", _prov(
        line, window=t.get("window", "str"), provider=t.get("provider", "str"), captured_at=t.get("captured_at", "ts"),
        methodology=t.get("methodology", "str"), commit_start=t.get("commit_start", "str"),
        commit_end=t.get("commit_end", "str"), files_changed=t.get("files_changed", "int"),
        insertions=t.get("insertions", "int"), deletions=t.get("deletions", "int"), net=t.get("net", "int"),
        features=t.get("features", "num"), normalized_churn=t.get("normalized_churn", "num"),
        notes=t.get("notes", "str"), superseded=False, schema_version=t.get("schema_version", "str"),
        tool_version=t.get("tool_version", "str"),
        extras=_merge(extras_of(rec, known), {"origin": rec["source"]} if isinstance(rec.get("source"), str) else None)))]


def _merge(a: dict | None, b: dict | None) -> dict | None:
    return {**(a or {}), **(b or {})} or None


METER_FIELDS = ("fiveh_pct", "weekly_pct", "session_pct", "all_models_pct", "opus_pct", "token_usage_pct")
SNAPSHOT_KEYS = {"window", "provider", "phase", "captured_at", "notes", "raw_text", "parsed", "source",
                 "schema_version", "tool_version"}


def _meter(t: Typed, rec: dict, line: Line, ledger: str) -> Out:
    p = t.child("parsed")
    row = _prov(line, ledger=ledger, window=t.get("window", "str"), provider=t.get("provider", "str"),
                phase=t.get("phase", "str"), captured_at=t.get("captured_at", "ts"), notes=t.get("notes", "str"),
                raw_text=t.get("raw_text", "str"), parsed=t.get("parsed", "obj"), origin=t.get("source", "str"),
                parse_errors=p.get("errors", "strlist"),
                extras=_merge(extras_of(rec, SNAPSHOT_KEYS),
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
    common = _prov(line, window=t.get("window", "str"), scope=scope, captured_at=t.get("captured_at", "ts"),
                   parse_errors=p.get("errors", "strlist"), superseded=False, origin="ledger",
                   extras=_merge(extras_of(rec, CODEX_KEYS), {"provider": rec.get("provider"), "notes": rec.get("notes")}))
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
                                        **_codex_detail(detail.get(sid))}))
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
                                    "extras": _merge(common["extras"], {"weekly": p.at("weekly")})}))
    else:
        out.append(("codex_usage", {**common, "period": None, "total_tokens": p.get("total_tokens", "int"),
                                    "cost_usd": p.get("cost_usd", "num"),
                                    "extras": _merge(common["extras"], {"parsed": rec.get("parsed")})}))
    return out


def _raw_json(text: Any) -> dict | None:
    if not isinstance(text, str):
        return None
    try:
        v = json.loads(text)
    except ValueError:
        return None
    return v if isinstance(v, dict) else None


def _codex_detail(s: dict | None) -> dict[str, Any]:
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
    return [("proxy_telemetry", _prov(
        line, window=t.get("window", "str"), provider=t.get("provider", "str"), captured_at=t.get("captured_at", "ts"),
        total=p.get("total", "int"), routed_to_glm_pct=p.get("routed_to_glm_pct", "num"),
        latency_p50_ms=p.get("latency_p50_ms", "num"), latency_p95_ms=p.get("latency_p95_ms", "num"),
        error_rate_pct=p.get("error_rate_pct", "num"), parse_errors=p.get("errors", "strlist"),
        sample_lines=len([x for x in raw.splitlines() if x.strip()]) if raw else None, notes=t.get("notes", "str"),
        extras=_with_raw(_merge(extras_of(rec, known), {k: rec[k] for k in ("source", "schema_version", "tool_version")
                                                        if k in rec} or None), rec)))]


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
    row = _prov(line, turn_id=f"{PROXY_TURN_SOURCE}:{vals['rid'] or '-'}:{record_hash([line.file, line.byte_offset, line.part])[:16]}",
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


# -- exported whole-JSON captures ----------------------------------------------------------------------

def _document(obj: dict, line: Line, rows: Rows, q: Quarantine) -> None:
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
                                            "extras": _merge(extras_of(doc, {"ts", "models"}), None)}))
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
                                        **_codex_detail(doc["sessions"][i]),
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
