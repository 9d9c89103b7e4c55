"""Features shipped per day (`features_daily`): METRICS.md's "a feature is done when its BDD scenarios pass".

Sources, the first that has evidence for the day wins (`basis`), the others are kept for comparison:
1. bdd: the repository's feature files + JUnit results (`features`, source repo) on a day with results.
   A feature ships on the first day its status is `shipped` (every scenario passes, feature file on
   main); shipped again later it is not counted again. A feature whose scenarios fail is `failing`, never
   shipped; one that passes on a branch only is `implemented`, not shipped.
2. windows: the AgentOS tracker's per-window `features` counts of the day's current window records.
3. sessions: the CCC client's `features_completed` of the day's sessions.
None of them: features_shipped is NULL and `errors` says so. `feature_delta` is the change in the number
of shipped features (bdd), else the count itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ccp_assets.warehouse.bulk import insert_rows

NO_RESULTS = "no JUnit results"


def features_day(conn: duckdb.DuckDBPyConnection, day: str) -> dict[str, Any]:
    d = date.fromisoformat(day)
    rows = conn.execute("""SELECT feature_id, status, coalesce(tests_failed, 0), errors FROM features
        WHERE source = 'repo' AND day = ? ORDER BY feature_id""", [d]).fetchall()
    tested = [r for r in rows if not any(NO_RESULTS in e for e in (r[3] or []))]
    before = {r[0] for r in conn.execute(
        "SELECT DISTINCT feature_id FROM features WHERE source = 'repo' AND day < ? AND status = 'shipped'", [d]).fetchall()}
    shipped = [f for f, st, _, _ in tested if st == "shipped" and f not in before]
    implemented = [f for f, st, _, _ in tested if st == "implemented"]
    failing = [f for f, st, failed, _ in tested if st == "proposed" and failed > 0]
    win = conn.execute("""SELECT sum(features), count(*) FROM windows
        WHERE source = 'agentos' AND day = ? AND NOT superseded AND features IS NOT NULL""", [d]).fetchone()
    ses = conn.execute("""SELECT sum(features_completed), count(*) FROM sessions
        WHERE source = 'ccc' AND day = ? AND features_completed IS NOT NULL""", [d]).fetchone()
    window_features = int(win[0]) if win[1] else None
    session_features = int(ses[0]) if ses[1] else None
    errors: list[str] = []
    if tested:
        basis, count, delta = "bdd", len(shipped), len(shipped)
    elif window_features is not None:
        basis, count, delta = "windows", window_features, window_features
        errors.append("features_shipped: no BDD results on this day; counted from AgentOS windows"
                      if rows else "features_shipped: no BDD results (CCP_REPO_DIR); counted from AgentOS windows")
    elif session_features is not None:
        basis, count, delta = "sessions", session_features, session_features
        errors.append("features_shipped: no BDD results or AgentOS windows; counted from CCC session_end records")
    else:
        basis, count, delta = None, None, None
        errors.append("features_shipped: no feature source (BDD results, AgentOS windows, CCC sessions) for this day")
    row = {"day": d, "basis": basis, "features_shipped": count, "feature_delta": delta, "shipped_ids": shipped,
           "implemented_ids": implemented, "failing_ids": failing, "bdd_features": len(shipped) if tested else None,
           "window_features": window_features, "session_features": session_features, "errors": errors or None}
    conn.execute("DELETE FROM features_daily WHERE day = ?", [d])
    insert_rows(conn, "features_daily", [row])
    return row
