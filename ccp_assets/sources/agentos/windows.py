"""AgentOS `windows.jsonl` records -> `windows` rows (METRICS.md "Capacity unit", "Window records").

One row per record and provider (`providers.<p>`; a provider with features but no meter gets a row with
no capacity and says so in `errors`). Capacity: the recorded 5-hour delta (`fiveh_pct` for Codex,
`session_pct` for Claude), unit 'pp'; when it is missing or negative (the bar reset inside the window)
the weekly delta (`weekly_pct`, `all_models_pct`) with the fallback named. GLM: `prompts_used` (the
window's own delta, else the latest glm_counts capture of the same window), unit 'prompts'; GLM prompts of
ledger lines without a window block are capacity too (measurements/glm.py).
quality_score: `quality_score` when recorded, else `quality`, else 1.0 with the gap in `errors`
(`quality_source` tells which; the churn-based fallback is the measurement layer's job).
"""

from __future__ import annotations

from typing import Any

from ccp_assets.sources.agentos.ledgers import prov
from ccp_assets.sources.pyrecords import Line, Typed, extras_of, record_hash

FIVE_HOUR = ("fiveh_pct", "session_pct")
WEEKLY = ("weekly_pct", "all_models_pct")
PP_PROVIDERS = {"codex", "claude"}


WINDOW_KEYS = {"window", "finalized_at", "features", "quality", "quality_score", "outcome", "notes", "providers",
               "schema_version", "tool_version", "commit_range", "churn", "methodology"}


def window_rows(t: Typed, rec: dict, line: Line, glm: dict[str, float]) -> list[dict[str, Any]]:
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
        out.append(prov(line, **base, provider=p, features=_int(feats.get(p)), capacity_raw=raw,
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
            out.append(prov(line, **base, provider=p, features=_int(n), capacity_raw=None,
                             capacity_unit="prompts" if p == "glm" else "pp" if p in PP_PROVIDERS else None,
                             errors=[*errors, f"{p}: features recorded but no meter in providers"]))
    if not out:
        out.append(prov(line, **base, provider=None, errors=[*errors, "no providers recorded"]))
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
