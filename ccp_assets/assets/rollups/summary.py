"""metrics_summary.json for one day, built from the warehouse alone (fields: METRICS.md).

A number whose inputs are missing is null and its reason is in `errors`; never an invented 0.
"""


from typing import Any

import duckdb

from ccp_assets.model.v1 import SCHEMA_VERSION


def _round(x: float | None, n: int = 6) -> float | None:
    return None if x is None else round(float(x), n)


def build_daily_summary(conn: duckdb.DuckDBPyConnection, day: str, tier: str) -> dict[str, Any] | None:
    """The day's summary, or None when no source had any line that day."""
    inputs = {src: {"files": files, "lines": lines} for src, files, lines in conn.execute(
        "SELECT source, count(DISTINCT file), count(*) FROM turns WHERE day = ? GROUP BY 1", [day]).fetchall()}
    sessions = conn.execute("SELECT count(DISTINCT session_id) FROM sessions WHERE day = ?", [day]).fetchone()[0]
    if not inputs and not sessions:
        return None
    errors: list[str] = []
    by_model = conn.execute("""
        SELECT model, sum(turns), sum(input_tokens), sum(output_tokens),
               sum(cache_creation_5m_tokens + cache_creation_1h_tokens), sum(cache_read_tokens),
               sum(estimated_usd), bool_and(priced)
        FROM cost_daily WHERE day = ? GROUP BY model ORDER BY model""", [day]).fetchall()
    tokens_by_model, cost_by_model, share = {}, {}, {}
    total_turns = sum(r[1] for r in by_model) or 0
    total_tokens = sum(sum(r[2:6]) for r in by_model) or 0
    total_cost = sum(r[6] for r in by_model) or 0.0
    for model, turns, i, o, cw, cr, usd, priced in by_model:
        tokens_by_model[model] = {"input": i, "output": o, "cache_creation": cw, "cache_read": cr,
                                  "total": i + o + cw + cr}
        cost_by_model[model] = _round(usd)
        share[model] = {"turns": _round(turns / total_turns if total_turns else None, 4),
                        "tokens": _round((i + o + cw + cr) / total_tokens if total_tokens else None, 4),
                        "cost": _round(usd / total_cost if total_cost else None, 4)}
        if not priced:
            errors.append(f"unknown model '{model}': priced at 0 (not in price table)")
    errors += [
        "features_shipped: no feature source (AgentOS windows or BDD results) for this day",
        "capacity_used: no capacity source (AgentOS windows, GLM counts) for this day",
        "avg_cls: no repository configured (CCP_REPO_DIR)",
        "avg_impf: no features completed, IMPF undefined",
        "avg_churn_score: no churn source (CCP_REPO_DIR or AgentOS churn.jsonl)",
    ]
    return {
        "date": day,
        "tier": tier,
        "schema_version": SCHEMA_VERSION,
        "sessions": sessions,
        "turns": total_turns,
        "features_shipped": None,
        "capacity_used": None,
        "features_per_capacity": {},
        "quality_adjusted_efficiency": None,
        "efficiency_by_provider": {},
        "avg_cls": None,
        "avg_impf": None,
        "avg_churn_score": None,
        "tokens_by_model": tokens_by_model,
        "cost_usd_by_model": cost_by_model,
        "cost_usd_total": _round(total_cost),
        "model_share": share,
        "routing": {},
        "policy_findings": [],
        "errors": errors,
        "inputs": inputs,
    }


def progress_section(summary: dict[str, Any]) -> str:
    """A short stand-up note for the day."""
    day = summary["date"]
    cost = summary.get("cost_usd_total") or 0.0
    lines = [f"## {day}", "",
             f"- {summary['sessions']} sessions, {summary['turns']} model calls, about ${cost:,.2f}."]
    if summary["tokens_by_model"]:
        parts = []
        for model, t in sorted(summary["tokens_by_model"].items(), key=lambda kv: -kv[1]["total"]):
            usd = summary["cost_usd_by_model"].get(model) or 0.0
            share = (summary["model_share"].get(model) or {}).get("turns")
            parts.append(f"{model} {t['total']:,} tokens (${usd:,.2f}"
                         + (f", {share:.0%} of calls)" if share is not None else ")"))
        lines.append("- Models: " + "; ".join(parts) + ".")
    shipped = summary.get("features_shipped")
    lines.append(f"- Shipped: {shipped} features." if shipped is not None else "- Shipped: unknown (no feature data).")
    missing = [e.split(":")[0] for e in summary["errors"]]
    if missing:
        lines.append("- Missing data: " + ", ".join(missing) + ".")
    return "\n".join(lines) + "\n"
