"""The v1 Measurement entity (`measurements`, source `ccp_assets`) per day, window, session and feature.

- `day`: cls = mean CLS of the day's windows (else the day's own commit range), impf = interaction
  minutes of the day / features shipped that day, churn_score and feature_delta of the day.
- `window:<id>`: the window's CLS, churn_score (git churn_14d of its day, else its own normalized churn,
  named), feature_delta = its features; per-provider E inputs in `extras`.
- `session:<id>`: impf of the session (minutes / features it completed).
- `feature:<id>`: a feature shipped that day (feature_delta 1).
Rows of other sources (the CCC client's own measurements) are left alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ccp_assets.measurements.interaction import minutes_per_feature
from ccp_assets.warehouse.bulk import insert_rows

SOURCE = "ccp_assets"
NOT_PER_SESSION = "measured per day and window (git ranges), not per session"
NO_SESSION_FEATURES = "feature_delta: no feature count for this session (CCC session_end)"


def day_values(conn: duckdb.DuckDBPyConnection, d: date) -> dict[str, Any]:
    """The day-level numbers (also what the rollup reads), each with the reasons of a NULL."""
    errors: list[str] = []
    wins = [r[0] for r in conn.execute("""SELECT cls FROM cls_features WHERE day = ? AND scope LIKE 'window:%'
        AND cls IS NOT NULL""", [d]).fetchall()]
    own = conn.execute("SELECT cls, errors FROM cls_features WHERE day = ? AND scope = 'day'", [d]).fetchone()
    cls_rows = conn.execute("SELECT count(*) FROM cls_features WHERE day = ?", [d]).fetchone()[0]
    if wins:
        cls, cls_basis = sum(wins) / len(wins), "windows"
    elif own and own[0] is not None:
        cls, cls_basis = own[0], "day"
    else:
        cls, cls_basis = None, None
        if not cls_rows:
            errors.append("avg_cls: no commit on main this day and no window with a commit range in the repository")
        else:
            errors.append("avg_cls: no CLS input could be measured for this day's ranges")
    feat = conn.execute("SELECT features_shipped, feature_delta, basis, errors FROM features_daily WHERE day = ?",
                        [d]).fetchone()
    shipped = feat[0] if feat else None
    minutes, sessions = conn.execute("SELECT sum(interaction_minutes), count(*) FROM interaction_daily WHERE day = ?",
                                     [d]).fetchone()
    impf = None
    if not sessions:
        errors.append("avg_impf: no human prompt in Claude Code transcripts this day")
    else:
        impf, why = minutes_per_feature(minutes, shipped, "avg_impf",
                                        "features shipped unknown: minutes per feature undefined",
                                        "no feature shipped this day")
        errors += [why] if why else []
    ch = conn.execute("SELECT churn_score, churn_source, churn_14d FROM churn_daily WHERE day = ?", [d]).fetchone()
    churn_score = ch[0] if ch else None
    if churn_score is None:
        errors.append("avg_churn_score: neither git churn_14d nor AgentOS window churn for this day")
    return {"cls": cls, "cls_basis": cls_basis, "impf": impf, "interaction_minutes": minutes,
            "sessions_with_prompts": sessions, "features_shipped": shipped,
            "feature_delta": feat[1] if feat else None, "features_basis": feat[2] if feat else None,
            "churn_score": churn_score, "churn_source": ch[1] if ch else None, "churn_14d": ch[2] if ch else None,
            "errors": errors}


def entity_day(conn: duckdb.DuckDBPyConnection, day: str) -> int:
    d = date.fromisoformat(day)
    v = day_values(conn, d)
    rows: list[dict[str, Any]] = [{
        "scope": "day", "cls": v["cls"], "impf": v["impf"], "churn_score": v["churn_score"],
        "feature_delta": v["feature_delta"],
        "errors": ([] if v["feature_delta"] is not None else ["feature_delta: no feature source for this day"])
        + [e.replace("avg_", "", 1) for e in v["errors"]],
        "extras": {k: v[k] for k in ("cls_basis", "interaction_minutes", "features_shipped", "features_basis",
                                     "churn_source", "churn_14d")}}]
    churn_14d = v["churn_14d"]
    win_churn = dict(conn.execute("""SELECT "window", avg(normalized_churn) FROM churn_records
        WHERE source = 'agentos' AND day <= ? AND NOT superseded GROUP BY 1""", [d]).fetchall())
    cls_by_scope = {s: (c, e) for s, c, e in conn.execute(
        "SELECT scope, cls, errors FROM cls_features WHERE day = ?", [d]).fetchall()}
    wins: dict[str, list[tuple]] = {}
    for r in conn.execute("""SELECT "window", provider, features, capacity, capacity_unit, quality_score,
               quality_source FROM efficiency_windows WHERE day = ? ORDER BY "window", provider""", [d]).fetchall():
        wins.setdefault(r[0], []).append(r)
    for wid, provs in wins.items():
        errors: list[str] = []
        cls, cls_err = cls_by_scope.get(f"window:{wid}", (None, None))
        if cls is None:
            errors += [e for e in (cls_err or [])
                       if "CLS undefined" in e or e.startswith("cls: commit")] or ["cls: no commit range in the repository"]
        if churn_14d is not None:
            churn = churn_14d
        elif win_churn.get(wid) is not None:
            churn = win_churn[wid]
            errors.append("churn_score: no git churn_14d; the window's normalized churn (net lines per feature) is used")
        else:
            churn = None
            errors.append("churn_score: neither git churn_14d nor a churn record for this window")
        feats = [p[2] for p in provs if p[2] is not None]
        errors.append("impf: interaction minutes are per session, not attributable to a window")
        rows.append({"scope": f"window:{wid}", "cls": cls, "impf": None, "churn_score": churn,
                     "feature_delta": sum(feats) if feats else None, "errors": errors,
                     "extras": {"providers": {p[1]: {"features": p[2], "capacity": p[3], "capacity_unit": p[4],
                                                     "quality_score": p[5], "quality_source": p[6]} for p in provs}}})
    for sid, impf, minutes, fc, errs in conn.execute("""SELECT session_id, impf, interaction_minutes,
            features_completed, errors FROM interaction_daily WHERE day = ? ORDER BY session_id""", [d]).fetchall():
        rows.append({"scope": f"session:{sid}", "session_id": sid, "impf": impf, "cls": None, "churn_score": None,
                     "feature_delta": fc, "errors": [*(errs or []), f"cls: {NOT_PER_SESSION}",
                                                     f"churn_score: {NOT_PER_SESSION}",
                                                     *([] if fc is not None else [NO_SESSION_FEATURES])],
                     "extras": {"interaction_minutes": minutes}})
    shipped = conn.execute("SELECT shipped_ids FROM features_daily WHERE day = ?", [d]).fetchone()
    for fid in (shipped[0] if shipped else None) or []:
        rows.append({"scope": f"feature:{fid}", "feature_id": fid, "feature_delta": 1.0, "cls": None, "impf": None,
                     "churn_score": None, "errors": ["cls, impf, churn_score: measured per day, window and session"]})
    for r in rows:
        r.update({"day": d, "source": SOURCE})
        r["errors"] = r["errors"] or None
    conn.execute("DELETE FROM measurements WHERE source = ? AND day = ?", [SOURCE, d])
    return insert_rows(conn, "measurements", rows)
