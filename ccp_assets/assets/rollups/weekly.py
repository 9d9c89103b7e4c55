"""ISO-week summaries combined from the week's daily summaries (ratios recomputed from their parts).

Counts and capacities are summed (capacity per unit, never across units); E, E_q and features per
capacity are recomputed from the summed features and capacities; IMPF from the summed interaction
minutes and features; CLS and churn score are the mean of the days that have one; model shares are
recomputed from the summed calls, tokens and cost; routing sums requests, errors and reroutes per lane
(percentiles cannot be combined from daily ones: null); errors and policy findings are the union.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ccp_assets.assets.rollups.files import daily_summary_path

SUMMED = ("sessions", "turns", "features_shipped", "cost_usd_total", "interaction_minutes")
MEANS = ("avg_cls", "avg_churn_score")
UNIT_PROVIDERS = {"pp": ("codex", "claude"), "prompts": ("glm",)}


def week_days(day: str) -> list[str]:
    d = date.fromisoformat(day)
    monday = d - timedelta(days=d.isoweekday() - 1)
    return [str(monday + timedelta(days=k)) for k in range(7)]


def _add(into: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        return
    into[key] = (into.get(key) or 0) + value


def _ratio(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else round(num / den, 6)


def _providers(dailies: list[dict]) -> dict[str, dict[str, Any]]:
    providers: dict[str, dict[str, Any]] = {}
    for s in dailies:
        for prov, e in (s.get("efficiency_by_provider") or {}).items():
            acc = providers.setdefault(prov, {"capacity_unit": e.get("capacity_unit")})
            _add(acc, "features", e.get("features"))
            _add(acc, "capacity", e.get("capacity"))
            if e.get("e_q") is not None and e.get("capacity"):
                _add(acc, "quality_features", e["e_q"] * e["capacity"])
    for acc in providers.values():
        cap = acc.get("capacity")
        qf = acc.pop("quality_features", None)
        acc["capacity"] = None if cap is None else round(cap, 6)
        acc["e"] = _ratio(acc.get("features"), cap)
        acc["e_q"] = _ratio(qf, cap)
        acc["_qf"] = qf
    return providers


def _by_unit(dailies: list[dict], providers: dict[str, dict[str, Any]],
             shipped: float | None) -> tuple[dict | None, dict | None, dict | None]:
    cap: dict[str, Any] = {}
    for s in dailies:
        for unit, v in (s.get("capacity_used") or {}).items():
            if isinstance(v, int | float):
                cap[unit] = round(cap.get(unit, 0.0) + v, 6)
    fpc: dict[str, Any] = {}
    qae: dict[str, Any] = {}
    for unit, provs in UNIT_PROVIDERS.items():
        rows = [p for name, p in providers.items() if name in provs and p.get("capacity_unit") == unit]
        if rows:
            c = sum(p["capacity"] or 0 for p in rows)
            fpc[unit] = _ratio(sum(p.get("features") or 0 for p in rows), c)
            qae[unit] = _ratio(sum(p.get("_qf") or 0 for p in rows), c)
    mtok_days = [s for s in dailies if (s.get("capacity_used") or {}).get("mtok") and s.get("features_shipped")
                 is not None]
    if "mtok" in cap:
        fpc["mtok"] = _ratio(sum(s["features_shipped"] for s in mtok_days),
                             sum(s["capacity_used"]["mtok"] for s in mtok_days)) if mtok_days else None
    return cap or None, fpc or None, qae or None


def _model_share(dailies: list[dict], tokens: dict[str, dict], cost: dict[str, float]) -> dict[str, Any]:
    turns: dict[str, float] = {}
    for s in dailies:
        for model, sh in ((s.get("model_share") or {}).get("models") or {}).items():
            if sh.get("turns") is not None and s.get("turns"):
                turns[model] = turns.get(model, 0.0) + sh["turns"] * s["turns"]
    total_turns = sum(turns.values())
    total_tokens = sum(t.get("total", 0) for t in tokens.values())
    total_cost = sum(cost.values())
    models = {m: {"turns": _ratio(turns.get(m), total_turns) if m in turns else None,
                  "tokens": _ratio(tokens.get(m, {}).get("total"), total_tokens),
                  "cost": _ratio(cost.get(m), total_cost), "features": None}
              for m in sorted(set(turns) | set(tokens) | set(cost))}
    return {"models": models, "subagents": {}}


def _routing(dailies: list[dict]) -> dict[str, Any] | None:
    lanes: dict[str, dict[str, Any]] = {}
    for s in dailies:
        for lane, v in ((s.get("routing") or {}).get("lanes") or {}).items():
            acc = lanes.setdefault(lane, {"p50_ms": None, "p95_ms": None})
            for k in ("requests", "completions", "errors", "reroutes"):
                _add(acc, k, v.get(k))
    return {"lanes": lanes} if lanes else None


def _week_impf(out: dict[str, Any]) -> tuple[float | None, str | None]:
    """IMPF of the week = the week's interaction minutes / the week's features (METRICS.md "Periods longer than a
    day"): every day's minutes count, also those of a day that shipped nothing (a day-by-day pairing dropped
    them and turned 81.4 min/feature into 13.1); undefined when the week shipped no feature."""
    minutes, features = out.get("interaction_minutes"), out.get("features_shipped")
    if minutes is None:
        return None, None
    if not features:
        return None, "avg_impf: no feature shipped this week: minutes per feature undefined"
    return _ratio(minutes, features), None


def build_weekly_summary(rollups_dir: Path, day: str) -> dict[str, Any] | None:
    """The week of `day` from the daily files present; None when the week has none."""
    dailies = [json.loads(p.read_text()) for d in week_days(day)
               if (p := daily_summary_path(rollups_dir, d)).exists()]
    if not dailies:
        return None
    y, w, _ = date.fromisoformat(day).isocalendar()
    out: dict[str, Any] = {"week": f"{y}-W{w:02d}", "date": week_days(day)[0], "days": [s["date"] for s in dailies],
                           "tier": dailies[-1].get("tier"), "schema_version": dailies[-1].get("schema_version")}
    for key in SUMMED:
        vals = [s.get(key) for s in dailies if s.get(key) is not None]
        out[key] = round(sum(vals), 6) if vals else None
    for key in MEANS:
        vals = [s[key] for s in dailies if s.get(key) is not None]
        out[key] = round(sum(vals) / len(vals), 6) if vals else None
    out["avg_impf"], impf_error = _week_impf(out)
    tokens: dict[str, dict[str, int]] = {}
    cost: dict[str, float] = {}
    by_source: dict[str, float] = {}
    for s in dailies:
        for src, usd in (s.get("cost_usd_by_source") or {}).items():
            by_source[src] = round(by_source.get(src, 0.0) + (usd or 0.0), 6)
        for model, t in (s.get("tokens_by_model") or {}).items():
            acc = tokens.setdefault(model, {})
            for k, v in t.items():
                acc[k] = acc.get(k, 0) + (v or 0)
        for model, usd in (s.get("cost_usd_by_model") or {}).items():
            cost[model] = round(cost.get(model, 0.0) + (usd or 0.0), 6)
    providers = _providers(dailies)
    out["capacity_used"], out["features_per_capacity"], out["quality_adjusted_efficiency"] = _by_unit(
        dailies, providers, out["features_shipped"])
    for acc in providers.values():
        acc.pop("_qf", None)
    out["cost_usd_by_source"] = by_source if any(s.get("cost_usd_by_source") is not None for s in dailies) else None
    out.update({"tokens_by_model": tokens, "cost_usd_by_model": cost, "efficiency_by_provider": providers,
                "model_share": _model_share(dailies, tokens, cost), "routing": _routing(dailies),
                "policy_findings": sorted({f for s in dailies for f in s.get("policy_findings") or []}),
                "errors": sorted({e for s in dailies for e in s.get("errors", [])} | ({impf_error} - {None}))})
    inputs: dict[str, dict[str, int]] = {}
    for s in dailies:
        for src, v in (s.get("inputs") or {}).items():
            acc = inputs.setdefault(src, {"files": 0, "lines": 0})
            acc["files"] += v.get("files") or 0
            acc["lines"] += v.get("lines") or 0
    out["inputs"] = inputs
    return out
