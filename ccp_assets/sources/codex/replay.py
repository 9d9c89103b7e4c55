"""Forked Codex sessions: the parent's history a child rollout replays is not counted again (ccusage 20.0.24).

A rollout whose first line is a `session_meta` naming a parent (`forked_from_id`, or a sub-agent's
`source.subagent.thread_spawn.parent_thread_id`) starts with a copy of the parent's usage. Measured on the
binary (tests/sources/codex/test_replay.py), and named by ccusage's rust/adapters/codex/src/replay.rs:
- the child's leading turns that equal the parent's turns one for one (input, cached, cache writes, output,
  reasoning, total), in order, up to the parent's last turn at or before the fork time, are the copy;
- when the first one does not match (the parent is not on disk, or Codex rewrote the copy), a copy rewritten
  to the fork instant is recognized as a burst: if the file's first two usage lines are at most 1 s apart,
  its leading turns each at most 1 s after the previous (from the first line's time) are the copy;
- the parent is the file whose first line has the parent's session id (else whose name ends in it).
A copy with the parent's own instants is also dropped by the cross-file dedup; this rule catches the rest.
"""

from __future__ import annotations

import duckdb

BURST_MS = 1000
PARENT_PATHS = ("$.payload.forked_from_id", "$.payload.source.subagent.thread_spawn.parent_thread_id")


def parent_sql(line: str) -> str:
    """The parent session id a first line names (NULL when none)."""
    picks = [f"nullif(trim(CASE WHEN json_type({line}, '{p}') = 'VARCHAR' THEN {line}->>'{p}' END), '')"
             for p in PARENT_PATHS]
    return f"coalesce({', '.join(picks)})"


def parent_files(conn: duckdb.DuckDBPyConnection, parquet: list[str], rollouts: list[str]) -> list[str]:
    """Landed rollout files that are the parent of a fork among `rollouts` (found by name, as ccusage does when
    it looks beyond the files of a report's range)."""
    ids = [r[0] for r in conn.execute(
        f"SELECT DISTINCT {parent_sql('line')} FROM read_parquet(?) "
        "WHERE byte_offset = 0 AND file IN (SELECT unnest(?))", [parquet, rollouts]).fetchall() if r[0]]
    if not ids:
        return []
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT path FROM (SELECT path, regexp_extract(path, '([^/]+)\\.jsonl$', 1) AS stem "
        "FROM landing_files WHERE source = 'codex'), (SELECT unnest(?) AS id) "
        "WHERE stem = id OR ends_with(stem, '-' || id) ORDER BY 1", [ids]).fetchall() if r[0] not in rollouts]


def mark_replayed(conn: duckdb.DuckDBPyConnection) -> None:
    """cx_replayed (file, byte_offset, part): the counted events of cx_events that a fork copied."""
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE cx_replayed AS
        WITH first AS (
            SELECT file, meta_id, fork_parent, ts AS forked_at, regexp_extract(file, '([^/]+)\\.jsonl$', 1) AS stem
            FROM cx_lines WHERE byte_offset = 0 AND part = 0 AND type = 'session_meta'
        ), child AS (
            SELECT c.file, c.forked_at,
                   coalesce((SELECT min(p.file) FROM first p WHERE p.meta_id = c.fork_parent AND p.file <> c.file),
                            (SELECT min(p.file) FROM first p WHERE p.file <> c.file AND
                                    (p.stem = c.fork_parent OR ends_with(p.stem, '-' || c.fork_parent))))
                       AS parent
            FROM first c WHERE c.fork_parent IS NOT NULL
        ), stream AS (
            SELECT c.file AS child, e.tok, e.ts, c.forked_at,
                   row_number() OVER (PARTITION BY c.file ORDER BY e.byte_offset, e.part) AS j
            FROM child c JOIN cx_events e ON e.file = c.parent
        ), prefix AS (
            SELECT child, j, tok FROM (
                SELECT *, min(j) FILTER (WHERE ts > forked_at) OVER (PARTITION BY child) AS after FROM stream)
            WHERE after IS NULL OR j < after
        ), kid AS (
            SELECT e.file, e.byte_offset, e.part, e.ts, e.tok,
                   row_number() OVER (PARTITION BY e.file ORDER BY e.byte_offset, e.part) AS k
            FROM cx_events e WHERE e.file IN (SELECT file FROM child)
        ), matched AS (
            SELECT kid.*, bool_and(coalesce(p.tok = kid.tok, false)) OVER (
                              PARTITION BY kid.file ORDER BY k ROWS UNBOUNDED PRECEDING) AS copy
            FROM kid LEFT JOIN prefix p ON p.child = kid.file AND p.j = kid.k
        ), heads AS (
            SELECT file, list(ts ORDER BY byte_offset, part)[1:2] AS two FROM cx_lines
            WHERE kind = 'usage' AND ts IS NOT NULL AND (last_u IS NOT NULL OR total_u IS NOT NULL)
              AND file IN (SELECT file FROM child) GROUP BY file
        ), burst AS (
            SELECT m.*, bool_and(m.gap BETWEEN 0 AND {BURST_MS}) OVER (
                            PARTITION BY m.file ORDER BY k ROWS UNBOUNDED PRECEDING) AS in_burst
            FROM (SELECT matched.*, epoch_ms(ts) - epoch_ms(coalesce(lag(ts) OVER (PARTITION BY file ORDER BY k),
                                                                   h.two[1])) AS gap
                  FROM matched JOIN heads h USING (file)
                  WHERE len(h.two) = 2 AND epoch_ms(h.two[2]) - epoch_ms(h.two[1]) BETWEEN 0 AND {BURST_MS}) m
        )
        SELECT file, byte_offset, part FROM matched WHERE copy
        UNION ALL
        SELECT file, byte_offset, part FROM burst
        WHERE in_burst AND NOT EXISTS (SELECT 1 FROM matched x WHERE x.file = burst.file AND x.k = 1 AND x.copy)""")
