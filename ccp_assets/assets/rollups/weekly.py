"""ISO-week summaries combined from the week's daily summaries (ratios recomputed from their parts)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ccp_assets.assets.rollups.files import daily_summary_path, weekly_summary_path

SUMMED = ("sessions", "turns", "features_shipped", "capacity_used", "cost_usd_total")


def week_days(day: str) -> list[str]:
    d = date.fromisoformat(day)
    monday = d - timedelta(days=d.isoweekday() - 1)
    return [str(monday + timedelta(days=k)) for k in range(7)]


def _add(into: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        return
    into[key] = (into.get(key) or 0) + value


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
    tokens: dict[str, dict[str, int]] = {}
    cost: dict[str, float] = {}
    providers: dict[str, dict[str, Any]] = {}
    for s in dailies:
        for model, t in (s.get("tokens_by_model") or {}).items():
            acc = tokens.setdefault(model, {})
            for k, v in t.items():
                acc[k] = acc.get(k, 0) + (v or 0)
        for model, usd in (s.get("cost_usd_by_model") or {}).items():
            cost[model] = round(cost.get(model, 0.0) + (usd or 0.0), 6)
        for prov, e in (s.get("efficiency_by_provider") or {}).items():
            acc = providers.setdefault(prov, {"capacity_unit": e.get("capacity_unit")})
            _add(acc, "features", e.get("features"))
            _add(acc, "capacity", e.get("capacity"))
            _add(acc, "quality_features", (e.get("e_q") or 0) * (e.get("capacity") or 0) if e.get("e_q") is not None else None)
    for acc in providers.values():
        cap = acc.get("capacity")
        acc["e"] = round(acc["features"] / cap, 6) if cap and acc.get("features") is not None else None
        acc["e_q"] = round(acc.pop("quality_features") / cap, 6) if cap and "quality_features" in acc else None
        acc.pop("quality_features", None)
    out.update({"tokens_by_model": tokens, "cost_usd_by_model": cost, "efficiency_by_provider": providers,
                "errors": sorted({e for s in dailies for e in s.get("errors", [])})})
    return out


def weekly_path(rollups_dir: Path, day: str) -> Path:
    return weekly_summary_path(rollups_dir, day)
