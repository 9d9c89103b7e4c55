"""E and E_q per provider and capacity unit (`efficiency_windows`, `efficiency_daily`), METRICS.md.

Inputs are the normalized AgentOS `windows` rows that are current (the supersede rule is applied by the
normalizer: per window id the record with the latest finalized_at wins, an exact duplicate counts once,
superseded records stay as history), keyed by finalized_at's day, plus the GLM prompts of glm_counts ledger lines whose window has no GLM block
(measurements/glm.py: capacity on the captured_at day, 0 features, named). Capacity per window is the normalizer's
`capacity_raw`: the recorded 5-hour delta (fiveh_pct / session_pct, Δpp), the weekly delta when that is
missing or negative (named), GLM prompts used.

quality_score per window: the recorded quality_score (or quality) when present; else 1 − churn_14d of
the day (git) clamped to [0.5, 1.0]; else 1.0 with the gap named.

Per provider and day: E = Σ features / Σ capacity and E_q = Σ (features × quality_score) / Σ capacity
over the windows that have both a feature count and a capacity reading (the others are left out and
named); NULL with the reason when the capacity is 0. Units are never mixed: each provider has one unit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ccp_assets.measurements.glm import glm_ledger_sql
from ccp_assets.warehouse.bulk import insert_rows

QUALITY_DEFAULT_NOTE = "quality_score: not recorded, 1.0 assumed"
LEDGER_ONLY = ("glm: prompts of a glm_counts.jsonl line whose window has no windows.jsonl GLM block "
               "(capacity on the day of captured_at, no feature recorded against it)")


def _q(x: float) -> float:
    return min(1.0, max(0.5, x))


def efficiency_day(conn: duckdb.DuckDBPyConnection, day: str) -> list[dict[str, Any]]:
    d = date.fromisoformat(day)
    churn = conn.execute("SELECT churn_14d FROM churn_daily WHERE day = ?", [d]).fetchone()
    churn_14d = churn[0] if churn else None
    wins = conn.execute("""SELECT "window", provider, finalized_at, features, capacity_raw, capacity_unit,
               capacity_5h_delta, capacity_weekly_delta, quality_score, quality_source, errors
        FROM windows WHERE source = 'agentos' AND day = ? AND NOT superseded AND provider IS NOT NULL
        ORDER BY provider, finalized_at, "window" """, [d]).fetchall()
    win_rows = []
    for wid, prov, fin, feats, cap, unit, five, week, qs, qsrc, werr in wins:
        errs = [e for e in (werr or []) if e != QUALITY_DEFAULT_NOTE]
        if qsrc in ("quality_score", "quality") and qs is not None:
            q, src = qs, qsrc
        elif churn_14d is not None:
            q, src = _q(1.0 - churn_14d), "churn_14d"
            errs.append(f"quality_score: not recorded; 1 - churn_14d clamped to [0.5, 1] = {q:.4g}")
        else:
            q, src = 1.0, "default"
            errs.append("quality_score: not recorded and no git churn_14d: 1.0 assumed")
        fallback = cap is not None and week is not None and cap == week and (five is None or five < 0)
        win_rows.append({"day": d, "window": wid, "provider": prov, "finalized_at": fin,
                         "features": feats, "capacity": cap, "capacity_unit": unit, "weekly_fallback": fallback,
                         "quality_score": q, "quality_source": src, "errors": errs or None})
    for wid, prompts, at in conn.execute(f'SELECT "window", prompts, at_ts FROM ({glm_ledger_sql()}) ORDER BY at_ts, 1',
                                         {"day": d}).fetchall():
        win_rows.append({"day": d, "window": wid, "provider": "glm", "finalized_at": at, "features": 0,
                         "capacity": prompts, "capacity_unit": "prompts", "weekly_fallback": False,
                         "quality_score": 1.0, "quality_source": "glm_counts", "errors": [LEDGER_ONLY]})
    by_prov: dict[tuple[str, str | None], list[dict]] = {}
    for w in win_rows:
        by_prov.setdefault((w["provider"], w["capacity_unit"]), []).append(w)
    out = []
    for (prov, unit), rows in sorted(by_prov.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        usable = [w for w in rows if w["features"] is not None and w["capacity"] is not None]
        errors: list[str] = []
        no_cap = [w for w in rows if w["capacity"] is None]
        if no_cap:
            errors.append(f"{prov} E: {len(no_cap)} window(s) without a capacity reading left out "
                          f"({sum(w['features'] or 0 for w in no_cap)} features)")
        no_feat = [w for w in rows if w["features"] is None and w["capacity"] is not None]
        if no_feat:
            errors.append(f"{prov} E: {len(no_feat)} window(s) without a feature count left out")
        ledger = [w for w in rows if w["quality_source"] == "glm_counts"]
        if ledger:
            errors.append(f"{prov} E: {sum(w['capacity'] for w in ledger):g} prompt(s) of {len(ledger)} glm_counts "
                          "line(s) without a windows.jsonl GLM block counted as capacity with 0 features")
        weekly = sum(1 for w in rows if w["weekly_fallback"])
        if weekly:
            errors.append(f"{prov} E: {weekly} window(s) measured by the weekly delta (5-hour delta missing or reset)")
        for src, what in (("churn_14d", "1 - churn_14d"), ("default", "1.0 (no quality, no git churn)")):
            k = sum(1 for w in usable if w["quality_source"] == src)
            if k:
                errors.append(f"{prov} E_q: quality_score of {k} window(s) taken as {what}")
        for w in rows:
            errors += [e for e in (w["errors"] or []) if not e.startswith("quality_score") and e != LEDGER_ONLY]
        feats = sum(w["features"] for w in usable) if usable else None
        cap = sum(w["capacity"] for w in usable) if usable else None
        qf = sum(w["features"] * w["quality_score"] for w in usable) if usable else None
        e = e_q = None
        if cap:
            e, e_q = feats / cap, qf / cap
        elif usable:
            errors.append(f"{prov} E: capacity used is 0 {unit or ''}".rstrip() + ", E undefined")
        else:
            errors.append(f"{prov} E: no window with both features and capacity, E undefined")
        out.append({"day": d, "provider": prov, "capacity_unit": unit, "windows": len(rows), "features": feats,
                    "capacity": cap, "quality_features": qf, "e": e, "e_q": e_q, "weekly_fallback_windows": weekly,
                    "errors": list(dict.fromkeys(errors)) or None})
    conn.execute("DELETE FROM efficiency_windows WHERE day = ?", [d])
    conn.execute("DELETE FROM efficiency_daily WHERE day = ?", [d])
    insert_rows(conn, "efficiency_windows", win_rows)
    insert_rows(conn, "efficiency_daily", out)
    return out
