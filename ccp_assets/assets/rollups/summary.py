"""metrics_summary.json for one day, built from the warehouse alone (fields: METRICS.md "Rollup fields").

Every number comes from the measurement tables (ccp_assets/measurements): a number whose inputs are
missing is null and its reason is in `errors`; never an invented 0. Capacity and efficiency are keyed by
unit ("pp" over Codex + Claude windows, "prompts" over GLM, "mtok" per million API tokens) and never
added across units. `progress_section` turns a summary into the day's stand-up note.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import duckdb

from ccp_assets.assets.measurements.by_source import cost_by_source
from ccp_assets.measurements.entity import day_values
from ccp_assets.model.v1 import SCHEMA_VERSION
from ccp_assets.settings import Settings
from ccp_assets.sources.landing import day_files
from ccp_assets.sources.registry import SOURCES

PP_PROVIDERS = ("codex", "claude")


def _round(x: float | None, n: int = 6) -> float | None:
    return None if x is None else round(float(x), n)


def _ratio(num: float | None, den: float | None, n: int = 6) -> float | None:
    return None if num is None or not den else round(num / den, n)


def _inputs(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str) -> dict[str, Any]:
    """Landed source files and their line counts for the day, per source."""
    out: dict[str, Any] = {}
    for adapter in SOURCES:
        files = day_files(settings, adapter.name, [day])
        if not files:
            continue
        per_file = dict(conn.execute("SELECT file, count(*) FROM read_parquet(?, hive_partitioning = false) "
                                     "GROUP BY file ORDER BY file", [files]).fetchall())
        if per_file:
            out[adapter.name] = {"files": len(per_file), "lines": sum(per_file.values()), "paths": per_file}
    return out


def _has_rows(conn: duckdb.DuckDBPyConnection, d: date) -> bool:
    return bool(conn.execute("""SELECT (SELECT count(*) FROM turns WHERE day = $d) + (SELECT count(*) FROM sessions
        WHERE day = $d) + (SELECT count(*) FROM windows WHERE day = $d) + (SELECT count(*) FROM commits WHERE day = $d)
        + (SELECT count(*) FROM features WHERE day = $d)""", {"d": d}).fetchone()[0])


def _efficiency(conn: duckdb.DuckDBPyConnection, d: date) -> tuple[dict[str, Any], list[str], list[tuple]]:
    rows = conn.execute("""SELECT provider, capacity_unit, features, capacity, quality_features, e, e_q, errors
        FROM efficiency_daily WHERE day = ? ORDER BY provider""", [d]).fetchall()
    by_provider = {p: {"features": f, "capacity": _round(c), "capacity_unit": u, "e": _round(e), "e_q": _round(eq)}
                   for p, u, f, c, _qf, e, eq, _err in rows}
    errors = [x for r in rows for x in (r[7] or [])]
    return by_provider, errors, rows


def _usage(conn: duckdb.DuckDBPyConnection, d: date) -> list[tuple]:
    return conn.execute("""SELECT model, basis, sum(turns), sum(input_tokens), sum(output_tokens),
               sum(cache_creation_5m_tokens + cache_creation_1h_tokens), sum(cache_read_tokens), sum(prompts),
               sum(estimated_usd), bool_and(priced)
        FROM usage_model_daily WHERE day = ? GROUP BY model, basis ORDER BY model, basis""", [d]).fetchall()


def _capacity(eff_rows: list[tuple], usage: list[tuple], shipped: int | None,
              errors: list[str]) -> tuple[dict | None, dict | None, dict | None]:
    """capacity_used, features_per_capacity, quality_adjusted_efficiency, each keyed by unit."""
    cap: dict[str, Any] = {}
    fpc: dict[str, Any] = {}
    qae: dict[str, Any] = {}
    for unit, provs in (("pp", PP_PROVIDERS), ("prompts", ("glm",))):
        rows = [r for r in eff_rows if r[0] in provs and r[1] == unit]
        if not rows:
            continue
        usable = [r for r in rows if r[3] is not None]
        c = sum(r[3] for r in usable) if usable else None
        f = sum(r[2] or 0 for r in usable) if usable else None
        qf = sum(r[4] or 0 for r in usable) if usable else None
        cap[unit] = _round(c)
        fpc[unit], qae[unit] = _ratio(f, c), _ratio(qf, c)
        if fpc[unit] is None:
            errors.append(f"features_per_capacity.{unit}: capacity used is {'unknown' if c is None else 0}: undefined")
    api = [u for u in usage if u[1] == "api_tokens"]
    if api:
        mtok = sum(sum(x or 0 for x in u[3:7]) for u in api) / 1e6
        cap["mtok"] = _round(mtok)
        fpc["mtok"] = _ratio(shipped, mtok) if shipped is not None else None
        if shipped is None:
            errors.append("features_per_capacity.mtok: features shipped unknown")
    if usage:
        cap["usd"] = _round(sum(u[8] or 0 for u in usage))
    if not cap:
        errors.append("capacity_used: no capacity source (AgentOS windows, GLM counts, model calls) for this day")
        return None, None, None
    return cap, fpc or None, qae or None


def _model_share(conn: duckdb.DuckDBPyConnection, d: date, errors: list[str]) -> dict[str, Any]:
    rows = conn.execute("""SELECT kind, "key", turn_share, token_share, cost_share, feature_share, features
        FROM model_mix_daily WHERE day = ? ORDER BY kind, "key" """, [d]).fetchall()
    out: dict[str, Any] = {"models": {}, "subagents": {}}
    for kind, key, ts, tok, cost, fs, _f in rows:
        out["models" if kind == "model" else "subagents"][key] = {
            "turns": _round(ts, 4), "tokens": _round(tok, 4), "cost": _round(cost, 4), "features": _round(fs, 4)}
    if rows and all(r[6] is None for r in rows):
        errors.append("model_share.features: no per-session feature counts (CCC session_end) for this day")
    return out


def _routing(conn: duckdb.DuckDBPyConnection, d: date) -> dict[str, Any] | None:
    rows = conn.execute("""SELECT lane, source, requests, completions, error_count, p50_ms, p95_ms, reroutes, decisions
        FROM routing_daily WHERE day = ? ORDER BY lane""", [d]).fetchall()
    if not rows:
        return None
    lanes = {lane: {"requests": req, "completions": comp, "errors": err, "p50_ms": _round(p50, 1),
                    "p95_ms": _round(p95, 1), "reroutes": rr,
                    "decisions": json.loads(dec) if isinstance(dec, str) else dec}
             for lane, _s, req, comp, err, p50, p95, rr, dec in rows}
    out: dict[str, Any] = {"source": rows[0][1], "lanes": lanes}
    if rows[0][1] == "summary":
        dec = conn.execute("SELECT decisions FROM proxy_daily_summaries WHERE day = ? ORDER BY file DESC LIMIT 1",
                           [d]).fetchone()
        out["decisions"] = json.loads(dec[0]) if dec and isinstance(dec[0], str) else (dec[0] if dec else None)
    else:
        total: dict[str, int] = {}
        for lane in lanes.values():
            for k, v in (lane["decisions"] or {}).items():
                total[k] = total.get(k, 0) + v
        out["decisions"] = dict(sorted(total.items()))
    out["reroutes"] = sum(v["reroutes"] or 0 for v in lanes.values()) if out["source"] == "log" else None
    return out


def _core(conn: duckdb.DuckDBPyConnection, d: date) -> dict[str, Any]:
    """The numbers compared day over day (lower is worse for efficiency, higher for the rest)."""
    eff = {p: e for p, e in conn.execute("SELECT provider, e FROM efficiency_daily WHERE day = ?", [d]).fetchall()}
    v = day_values(conn, d)
    usd = conn.execute("SELECT sum(estimated_usd) FROM usage_model_daily WHERE day = ?", [d]).fetchone()[0]
    return {"e": eff, "cls": v["cls"], "impf": v["impf"], "churn": v["churn_score"], "usd": usd,
            "shipped": v["features_shipped"]}


def _vs_previous(conn: duckdb.DuckDBPyConnection, d: date, today: dict[str, Any]) -> dict[str, Any] | None:
    prev_day = d - timedelta(days=1)
    prev = _core(conn, prev_day)
    if not prev["e"] and all(prev[k] is None for k in ("cls", "impf", "churn", "usd", "shipped")):
        return None
    worse, better = [], []

    def cmp(label: str, a: float | None, b: float | None, higher_is_worse: bool, fmt: str = "{:.4g}") -> None:
        if a is None or b is None or round(a, 9) == round(b, 9):
            return
        text = f"{label} {fmt.format(a)} -> {fmt.format(b)}"
        (worse if (b > a) == higher_is_worse else better).append(text)

    for p in sorted(set(prev["e"]) & set(today["e"])):
        cmp(f"{p} E", prev["e"][p], today["e"][p], False)
    cmp("features shipped", prev["shipped"], today["shipped"], False, "{:g}")
    cmp("CLS", prev["cls"], today["cls"], True)
    cmp("IMPF (min/feature)", prev["impf"], today["impf"], True)
    cmp("churn score", prev["churn"], today["churn"], True)
    cmp("cost", prev["usd"], today["usd"], True, "${:,.2f}")
    return {"date": str(prev_day), "worse": worse, "better": better}


def build_daily_summary(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str, tier: str) -> dict[str, Any] | None:
    """The day's summary, or None when no source had any line (or row) that day."""
    d = date.fromisoformat(day)
    inputs = _inputs(conn, settings, day)
    if not inputs and not _has_rows(conn, d):
        return None
    errors: list[str] = []
    # sources of model calls: those unified_turns takes (sources/protocol.py: Source.calls), and CCC's turns
    call_sources = ({"ccc_events"} | {s.name for s in SOURCES if s.calls}) & set(inputs)
    sessions = conn.execute("SELECT count(DISTINCT session_id) FROM sessions WHERE day = ?", [d]).fetchone()[0]
    usage = _usage(conn, d)
    tokens_by_model: dict[str, Any] = {}
    cost_by_model: dict[str, float | None] = {}
    for model, basis, _turns, i, o, cw, cr, prompts, usd, priced in usage:
        t = tokens_by_model.setdefault(model, {"input": 0, "output": 0, "cache_creation": 0, "cache_read": 0,
                                               "total": 0})
        for k, v in (("input", i), ("output", o), ("cache_creation", cw), ("cache_read", cr)):
            t[k] += int(v or 0)
            t["total"] += int(v or 0)
        if basis == "subscription_prompts":
            t["prompts"] = t.get("prompts", 0) + int(prompts or 0)
        cost_by_model[model] = _round((cost_by_model.get(model) or 0) + (usd or 0))
        if not priced:
            errors.append(f"unknown model '{model}': priced at 0 (not in price table)")
    turns = sum(int(u[2] or 0) for u in usage) if usage or call_sources else None
    if turns is None:
        errors.append("turns: no model-call source (Claude Code, CCP proxy, CCC events) for this day")
    if not sessions and not call_sources:
        sessions = None
        errors.append("sessions: no session source (Claude Code, CCC events) for this day")
    total_cost = sum(u[8] or 0 for u in usage) if usage else None
    feat = conn.execute("SELECT features_shipped, basis, shipped_ids, failing_ids, errors FROM features_daily "
                        "WHERE day = ?", [d]).fetchone()
    shipped = feat[0] if feat else None
    if feat is None:
        errors.append("features_shipped: not measured for this day")
    else:
        errors += feat[4] or []
    by_provider, eff_errors, eff_rows = _efficiency(conn, d)
    errors += eff_errors
    if not eff_rows:
        errors.append("efficiency_by_provider: no AgentOS capacity windows for this day")
    capacity, fpc, qae = _capacity(eff_rows, usage, shipped, errors)
    v = day_values(conn, d)
    errors += v["errors"]
    churn = conn.execute("SELECT errors FROM churn_daily WHERE day = ?", [d]).fetchone()
    errors += [e for e in ((churn[0] if churn else None) or []) if not e.startswith("churn_score")]
    errors += [e for r in conn.execute("SELECT input_errors FROM cls_features WHERE day = ? ORDER BY scope",
                                       [d]).fetchall() for e in (r[0] or [])]
    share = _model_share(conn, d, errors)
    routing = _routing(conn, d)
    if routing is None:
        errors.append("routing: no CCP proxy log or METRICS summary for this day")
    findings = [r[0] for r in conn.execute("SELECT finding FROM policy_findings WHERE day = ? ORDER BY kind, provider, "
                                           "model", [d]).fetchall()]
    summary: dict[str, Any] = {
        "date": day,
        "tier": tier,
        "schema_version": SCHEMA_VERSION,
        "sessions": sessions,
        "turns": turns,
        "features_shipped": shipped,
        "features_basis": feat[1] if feat else None,
        "features_shipped_ids": (feat[2] or []) if feat else [],
        "features_failing_ids": (feat[3] or []) if feat else [],
        "capacity_used": capacity,
        "features_per_capacity": fpc,
        "quality_adjusted_efficiency": qae,
        "efficiency_by_provider": by_provider,
        "avg_cls": _round(v["cls"]),
        "avg_impf": _round(v["impf"]),
        "avg_churn_score": _round(v["churn_score"]),
        "churn_source": v["churn_source"],
        "interaction_minutes": _round(v["interaction_minutes"], 4),
        "tokens_by_model": tokens_by_model,
        "cost_usd_by_model": cost_by_model,
        "cost_usd_total": _round(total_cost),
        "cost_usd_by_source": cost_by_source(conn, d) if usage else None,
        "model_share": share,
        "routing": routing,
        "policy_findings": findings,
        "inputs": inputs,
    }
    summary["vs_previous_day"] = _vs_previous(conn, d, {
        "e": {p: x["e"] for p, x in by_provider.items()}, "cls": v["cls"], "impf": v["impf"],
        "churn": v["churn_score"], "usd": total_cost, "shipped": shipped})
    summary["errors"] = list(dict.fromkeys(errors))
    return summary


# -- the stand-up note ------------------------------------------------------------------------------------

def _num(x: float | None, fmt: str = "{:.3g}") -> str:
    return "n/a" if x is None else fmt.format(x)


def progress_section(summary: dict[str, Any]) -> str:
    """A short stand-up note: what shipped, at what capacity and cost, which model did what, what got worse,
    what data was missing."""
    day = summary["date"]
    lines = [f"## {day}", ""]
    shipped = summary.get("features_shipped")
    if shipped is None:
        lines.append("- Shipped: unknown (no feature data).")
    else:
        basis = {"bdd": "BDD scenarios pass", "windows": "AgentOS windows", "sessions": "CCC sessions"}.get(
            summary.get("features_basis") or "", "")
        ids = summary.get("features_shipped_ids") or []
        text = f"- Shipped: {shipped} feature(s)" + (f" ({basis}" + (f": {', '.join(ids)}" if ids else "") + ")"
                                                     if basis else "")
        failing = summary.get("features_failing_ids") or []
        lines.append(text + (f"; scenarios failing: {', '.join(failing)}." if failing else "."))
    cap = summary.get("capacity_used") or {}
    parts = []
    if cap.get("pp") is not None:
        parts.append(f"{cap['pp']:g} pp")
    if cap.get("prompts") is not None:
        parts.append(f"{cap['prompts']:g} GLM prompts")
    if cap.get("mtok") is not None:
        parts.append(f"{cap['mtok']:.3g} Mtok")
    cost = summary.get("cost_usd_total")
    calls = summary.get("turns")
    lines.append("- Capacity: " + (", ".join(parts) if parts else "unknown")
                 + (f"; {calls} model calls" if calls is not None else "")
                 + (f", about ${cost:,.2f}." if cost is not None else ", cost unknown."))
    eff = summary.get("efficiency_by_provider") or {}
    if eff:
        lines.append("- Efficiency: " + "; ".join(
            f"{p} {_num(e.get('e'))} features/{e.get('capacity_unit') or '?'} ({e.get('features')} on "
            f"{_num(e.get('capacity'), '{:g}')})" for p, e in sorted(eff.items())) + ".")
    models = (summary.get("model_share") or {}).get("models") or {}
    if summary.get("tokens_by_model"):
        parts = []
        for model, t in sorted(summary["tokens_by_model"].items(), key=lambda kv: -kv[1]["total"]):
            usd = summary["cost_usd_by_model"].get(model) or 0.0
            sh = (models.get(model) or {}).get("turns")
            parts.append(f"{model} {t['total']:,} tokens (${usd:,.2f}" + (f", {sh:.0%} of calls)" if sh is not None
                                                                         else ")"))
        lines.append("- Models: " + "; ".join(parts) + ".")
    quality = [f"CLS {_num(summary.get('avg_cls'))}", f"IMPF {_num(summary.get('avg_impf'))} min/feature",
               f"churn {_num(summary.get('avg_churn_score'))}"]
    lines.append("- Quality: " + ", ".join(quality) + ".")
    vs = summary.get("vs_previous_day")
    if vs and vs.get("worse"):
        lines.append(f"- Worse than {vs['date']}: " + "; ".join(vs["worse"]) + ".")
    elif vs:
        lines.append(f"- Nothing got worse than {vs['date']}.")
    if summary.get("policy_findings"):
        lines.append("- Policy: " + "; ".join(summary["policy_findings"]) + ".")
    errors = summary.get("errors", [])
    provisional = list(dict.fromkeys(e.split(":")[0] for e in errors if "(provisional)" in e))
    missing = list(dict.fromkeys(e.split(":")[0] for e in errors if "(provisional)" not in e))
    if missing:
        lines.append("- Missing data: " + ", ".join(missing) + ".")
    if provisional:  # not missing: measured as far as the history goes, final once the window is over
        lines.append("- Provisional (window not over yet): " + ", ".join(provisional) + ".")
    return "\n".join(lines) + "\n"
