"""Churn per day (`churn_daily`), METRICS.md "Churn".

- Window churn: the AgentOS `churn.jsonl` records of the day (current capture per window and provider):
  insertions, deletions, net, features; `window_churn` = sum(net) / sum(features) (the tracker's
  normalized churn, recomputed over the day's windows).
- Git churn, `churn_Nd` for N in 7, 14, 28: of the lines added by the day's non-merge commits (git's
  numstat with rename detection, `git diff --numstat -M`: a renamed or moved file adds only the lines it
  changed), the fraction changed or deleted again within N days of each commit; a file moved later is
  followed to its new path (`git diff -M` between the commit and the snapshot). A line survives when
  `git blame` at the last first-parent commit of main at or before commit time + N days still
  attributes it to the commit that added it; every other added line churned. A line that survives counts
  0. A commit not reachable from main's first-parent line at that point is left out and named. Windows
  that end in the future are measured as far as the history goes and named as provisional.
- churn_score = churn_14d when git gives one, else the day's window churn with the fallback named,
  else NULL with both reasons.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from ccp_assets.measurements.gitrepo import GitRepo
from ccp_assets.warehouse.bulk import insert_rows

HORIZONS = (7, 14, 28)


def git_churn(repo: GitRepo, commits: list[tuple[str, datetime]], now: datetime,
              errors: list[str]) -> tuple[int, dict[int, int]]:
    """(lines added, {N: lines of them changed or deleted within N days}) over the given commits."""
    added_total = 0
    churned = dict.fromkeys(HORIZONS, 0)
    provisional: dict[int, int] = {}
    for sha, ts in commits:
        full = repo.resolve(sha)
        if full is None:
            errors.append(f"churn: commit {sha[:12]} is not in the repository: left out")
            continue
        # git's numstat with rename detection, not the landed one: a moved file adds only what it changed
        added = [(path, n) for path, _old, n, _ in repo.commit_numstat(full) if n]
        snaps = {n: repo.snapshot_at(full, ts + timedelta(days=n)) for n in HORIZONS}
        if any(s is None for s in snaps.values()):
            errors.append(f"churn: commit {sha[:12]} is not on main's first-parent history: left out")
            continue
        added_total += sum(n for _, n in added)
        for n, snap in snaps.items():
            if ts + timedelta(days=n) > now:
                provisional[n] = provisional.get(n, 0) + 1
            if snap == full:
                continue
            for path, n_added in added:
                later = repo.path_at(full, snap, path)  # moved since: its lines live on under the new name
                blame = None if later is None else repo.blame(snap, later)
                survived = 0 if blame is None else blame.get(full, 0)
                churned[n] += n_added - min(n_added, survived)
    for n, k in sorted(provisional.items()):
        errors.append(f"churn_{n}d: the {n}-day window of {k} commit(s) is not over yet (provisional)")
    return added_total, churned


def churn_day(conn: duckdb.DuckDBPyConnection, repo: GitRepo | None, no_repo: str, day: str,
              now: datetime | None = None) -> dict[str, Any]:
    d = date.fromisoformat(day)
    now = now or datetime.now(UTC)
    errors: list[str] = []
    recs, ins, dels, net, feats = conn.execute("""SELECT count(*), sum(insertions), sum(deletions), sum(net),
               sum(features) FROM churn_records WHERE source = 'agentos' AND day = ? AND NOT superseded""",
                                               [d]).fetchone()
    window_churn = None
    if not recs:
        errors.append("window churn: no AgentOS churn records for this day")
    elif not feats:
        errors.append("window churn: the day's churn records count 0 features: net lines per feature undefined")
    elif net is not None:
        window_churn = net / feats
    row: dict[str, Any] = {"day": d, "repo_id": None, "commits": None, "lines_added": None,
                           "window_records": recs, "window_insertions": ins, "window_deletions": dels,
                           "window_net": net, "window_features": feats, "window_churn": window_churn}
    for n in HORIZONS:
        row[f"churned_{n}d"] = row[f"churn_{n}d"] = None
    if repo is None:
        errors.append(f"churn_7d/14d/28d: {no_repo}")
    else:
        commits = [(sha, ts) for sha, ts in conn.execute("""SELECT sha, ts FROM commits
                       WHERE source = 'repo' AND day = ? AND NOT coalesce(is_merge, false) AND ts IS NOT NULL
                       ORDER BY ts, sha""", [d]).fetchall()]
        added, churned = git_churn(repo, commits, now, errors)
        row.update({"repo_id": repo.repo_id, "commits": len(commits), "lines_added": added})
        for n in HORIZONS:
            row[f"churned_{n}d"] = churned[n] if added else None
            row[f"churn_{n}d"] = churned[n] / added if added else None
        if not added:
            errors.append("churn_7d/14d/28d: no lines added by the day's commits: fraction undefined")
    if row["churn_14d"] is not None:
        row["churn_score"], row["churn_source"] = row["churn_14d"], "git_churn_14d"
    elif window_churn is not None:
        row["churn_score"], row["churn_source"] = window_churn, "window_normalized_churn"
        errors.append("churn_score: no git churn_14d; the AgentOS window churn (net lines per feature) is used")
    else:
        row["churn_score"], row["churn_source"] = None, None
        errors.append("churn_score: neither git churn_14d nor AgentOS window churn for this day")
    row["errors"] = errors or None
    conn.execute("DELETE FROM churn_daily WHERE day = ?", [d])
    insert_rows(conn, "churn_daily", [row])
    return row
