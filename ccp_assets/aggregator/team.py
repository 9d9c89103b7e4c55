"""The team view: ccusage's daily/weekly/monthly report shape summed over every device of a team.

Input: the store's `TeamUsage`, i.e. sums over the newest summary of each (device, day) only (a device
re-uploading a day replaces its numbers). Output rows carry ccusage's fields (period, inputTokens,
outputTokens, cacheCreationTokens, cacheReadTokens, totalTokens, totalCost, modelsUsed, modelBreakdowns
with modelName and cost) plus what a team needs: `devices` (INTERFACES.md: one entry per device that
reported in the period: `device`, its salted id, with `totalTokens`, `totalCost` and the four token kinds),
sessions/turns/features_shipped, `efficiency_by_provider` and `model_mix`.

Ratios are recomputed from sums, never averaged: E = Σ features / Σ capacity and E_q = Σ (features ×
quality) / Σ capacity per provider and capacity unit; a model's share = its tokens (cost) / all tokens
(cost) of the period. Averaging two devices' E would weigh a device that used 1 pp like one that used 90.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from ccp_assets.aggregator.storage import TeamUsage
from ccp_assets.aggregator.team_sql import num

KIND_FIELDS = (
    ("input", "inputTokens"),
    ("output", "outputTokens"),
    ("cache_creation", "cacheCreationTokens"),
    ("cache_read", "cacheReadTokens"),
)
GRAINS: dict[str, Callable[[str], str]] = {
    "daily": lambda day: day,
    "weekly": lambda day: (
        date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
    ).isoformat(),
    "monthly": lambda day: day[:7],
}


def _ratio(num_: float, den: float) -> float | None:
    return round(num_ / den, 6) if den else None


def _empty(period: str) -> dict[str, Any]:
    return {
        "period": period,
        "devices": set(),
        "models": {},
        "by_device": {},
        "providers": {},
        "sessions": 0.0,
        "turns": 0.0,
        "features_shipped": 0.0,
    }


def _add_kinds(into: dict[str, float], kinds: dict[str, float]) -> None:
    for k, v in kinds.items():
        into[k] = into.get(k, 0.0) + v


def _finish(acc: dict[str, Any]) -> dict[str, Any]:
    """One ccusage-shaped row (plus the team fields) from the sums of a period."""
    models = acc["models"]
    breakdowns = [
        {"modelName": m, **{f: num(s[k]) for k, f in KIND_FIELDS}, "cost": num(s["cost"])}
        for m, s in sorted(models.items(), key=lambda kv: -kv[1]["cost"])
    ]
    total = {f: num(sum(s[k] for s in models.values())) for k, f in KIND_FIELDS}
    tokens = sum(s["tokens"] for s in models.values())
    cost = sum(s["cost"] for s in models.values())
    mix = {
        m: {"tokens": _ratio(s["tokens"], tokens), "cost": _ratio(s["cost"], cost)}
        for m, s in sorted(models.items())
    }
    units: dict[str, int] = {}
    for p, _ in acc["providers"]:
        units[p] = units.get(p, 0) + 1
    providers = {
        (p if units[p] == 1 else f"{p}:{unit}"): {  # one entry per provider unless its unit changed
            "features": num(s["features"]),
            "capacity": num(s["capacity"]),
            "capacity_unit": unit or None,
            "e": _ratio(s["features"], s["capacity"]),
            "e_q": _ratio(s["quality"], s["capacity"]),
        }
        for (p, unit), s in sorted(acc["providers"].items())
    }
    devices = [_device(d, acc["by_device"].get(d, {})) for d in sorted(acc["devices"])]
    return {
        "period": acc["period"],
        **total,
        "totalTokens": num(tokens),
        "totalCost": num(cost),
        "modelsUsed": sorted(models),
        "modelBreakdowns": breakdowns,
        "devices": devices,
        "sessions": num(acc["sessions"]),
        "turns": num(acc["turns"]),
        "features_shipped": num(acc["features_shipped"]),
        "efficiency_by_provider": providers,
        "model_mix": mix,
    }


def _device(device: str, sums: dict[str, float]) -> dict[str, Any]:
    return {
        "device": device,
        "totalTokens": num(sums.get("tokens", 0.0)),
        "totalCost": num(sums.get("cost", 0.0)),
        **{f: num(sums.get(k, 0.0)) for k, f in KIND_FIELDS},
    }


def team_report(usage: TeamUsage, grain: str = "daily") -> dict[str, Any]:
    """`{grain: [rows...], "totals": {...}, "devices": [...over the whole range]}` (module docstring)."""
    key = GRAINS[grain]
    periods: dict[str, dict[str, Any]] = {}

    def acc(day: str) -> dict[str, Any]:
        period = key(day)
        return periods.setdefault(period, _empty(period))

    for day, device, sessions, turns, features in usage.days:
        a = acc(day)
        a["devices"].add(device)
        a["sessions"] += float(sessions)
        a["turns"] += float(turns)
        a["features_shipped"] += float(features)
    for day, device, model, i, o, cw, cr, tokens, cost in usage.models:
        a = acc(day)
        kinds = {"input": float(i), "output": float(o), "cache_creation": float(cw), "cache_read": float(cr)}
        m = a["models"].setdefault(model, {"tokens": 0.0, "cost": 0.0})
        _add_kinds(m, {**kinds, "tokens": float(tokens), "cost": float(cost)})
        d = a["by_device"].setdefault(device, {"tokens": 0.0, "cost": 0.0})
        _add_kinds(d, {**kinds, "tokens": float(tokens), "cost": float(cost)})
    for day, provider, unit, features, capacity, quality in usage.providers:
        s = acc(day)["providers"].setdefault(
            (provider, unit), {"features": 0.0, "capacity": 0.0, "quality": 0.0}
        )
        _add_kinds(s, {"features": float(features), "capacity": float(capacity), "quality": float(quality)})
    for a in periods.values():
        for k, _ in KIND_FIELDS:
            for m in a["models"].values():
                m.setdefault(k, 0.0)
    rows = [_finish(periods[p]) for p in sorted(periods)]
    totals = {f: num(sum(r[f] for r in rows)) for _, f in KIND_FIELDS}
    totals["totalTokens"] = num(sum(r["totalTokens"] for r in rows))
    totals["totalCost"] = num(sum(r["totalCost"] for r in rows))
    overall: dict[str, dict[str, float]] = {}
    for r in rows:
        for d in r["devices"]:
            sums = {"tokens": d["totalTokens"], "cost": d["totalCost"], **{k: d[f] for k, f in KIND_FIELDS}}
            _add_kinds(overall.setdefault(d["device"], {}), sums)
    return {grain: rows, "totals": totals, "devices": [_device(d, overall[d]) for d in sorted(overall)]}
