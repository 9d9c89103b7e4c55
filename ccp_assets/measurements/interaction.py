"""Human interaction minutes per session and day (`interaction_daily`), METRICS.md "IMPF".

Read straight from the landed Claude Code lines (`$CCP_HOME/landing/claude_code/day=D/*.parquet`, column
`line`), the day and the one before it (a prompt just after midnight answers an output of the evening).

- A human prompt is a main-thread `user` line (not `isSidechain`) whose content is a string, or an array
  holding an image but no `tool_result`; lines Claude Code writes itself are not prompts: `isMeta`,
  `isCompactSummary`, and strings that are local command output or task notifications.
- Its interaction time is the gap since the previous main-thread `assistant` line of the same session,
  capped at 5 minutes (a longer gap is idle: it counts 5); the first prompt of a session counts 0. A
  session last seen before the day before gets the cap for its first prompt of the day.
- Per session IMPF = minutes / features completed in it (the CCC client's session_end), NULL with the
  reason when none completed or the count is unknown. The day's IMPF (minutes / features shipped) is
  the `measurements` entity's job.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from ccp_assets.settings import Settings
from ccp_assets.sources.jsonsql import Parsed
from ccp_assets.sources.landing import day_files
from ccp_assets.warehouse.bulk import insert_rows

CAP_SECONDS = 300.0
NOT_HUMAN = "^\\s*<(local-command-stdout|local-command-stderr|local-command-caveat|task-notification)"

EVENT = Parsed.of("v", ["sessionId", "uuid", "type", "timestamp", "isSidechain", "isMeta", "isCompactSummary"])

PROMPTS_SQL = f"""
WITH raw AS (  -- one parse of each line for its small fields; the message text is read for prompts only
    SELECT line, {EVENT.select('line')}
    FROM read_parquet($files, hive_partitioning = false)
), ev AS (
    SELECT DISTINCT {EVENT.text('sessionId')} AS sid, {EVENT.text('uuid')} AS uuid, {EVENT.text('type')} AS type,
           TRY_CAST({EVENT.text('timestamp')} AS TIMESTAMPTZ) AS t,
           coalesce(TRY_CAST({EVENT.text('isSidechain')} AS BOOLEAN), false) AS side,
           coalesce(TRY_CAST({EVENT.text('isMeta')} AS BOOLEAN), false) AS meta,
           coalesce(TRY_CAST({EVENT.text('isCompactSummary')} AS BOOLEAN), false) AS compact,
           CASE WHEN {EVENT.text('type')} = 'user' THEN json_type(line, '$.message.content') END AS ctype,
           CASE WHEN {EVENT.text('type')} = 'user' AND json_type(line, '$.message.content') = 'VARCHAR'
                THEN NOT regexp_matches(line->>'$.message.content', '{NOT_HUMAN}') END AS human_text,
           CASE WHEN {EVENT.text('type')} = 'user' AND json_type(line, '$.message.content') = 'ARRAY'
                THEN CAST(json_extract_string(line, '$.message.content[*].type') AS VARCHAR[]) END AS blocks
    FROM raw
    WHERE {EVENT.text('type')} IN ('user', 'assistant')
), prompts AS (
    SELECT DISTINCT sid, uuid, t FROM ev
    WHERE type = 'user' AND NOT side AND NOT meta AND NOT compact AND sid IS NOT NULL AND t IS NOT NULL
      AND CAST(timezone($tz, t) AS DATE) = $day
      AND ((ctype = 'VARCHAR' AND human_text)
           OR (ctype = 'ARRAY' AND list_contains(blocks, 'image') AND NOT list_contains(blocks, 'tool_result')))
), outs AS (
    SELECT DISTINCT sid, t FROM ev WHERE type = 'assistant' AND NOT side AND sid IS NOT NULL AND t IS NOT NULL
), gaps AS (
    SELECT p.sid, p.t, o.t AS prev, epoch(p.t) - epoch(o.t) AS gap_s
    FROM prompts p ASOF LEFT JOIN outs o ON p.sid = o.sid AND p.t > o.t
), earlier AS (
    SELECT DISTINCT session_id FROM sessions WHERE source = 'claude_code' AND day < $yesterday
)
SELECT g.sid, count(*) AS prompts,
       count(*) FILTER (WHERE coalesce(g.gap_s, CASE WHEN e.session_id IS NOT NULL THEN 1e9 END) > {CAP_SECONDS})
           AS idle_prompts,
       sum(CASE WHEN g.prev IS NOT NULL THEN least(g.gap_s, {CAP_SECONDS})
                WHEN e.session_id IS NOT NULL THEN {CAP_SECONDS} ELSE 0 END) / 60.0 AS minutes
FROM gaps g LEFT JOIN earlier e ON e.session_id = g.sid
GROUP BY g.sid ORDER BY g.sid
"""


def minutes_per_feature(minutes: float | None, features: float | None, what: str, unknown: str,
                        none: str) -> tuple[float | None, str | None]:
    """IMPF, the one rule for a session and for a day: (minutes / features, None), or (None, why): the
    feature count is unknown, or no feature was completed (then minutes per feature is undefined)."""
    if features is None:
        return None, f"{what}: {unknown}"
    if features == 0:
        return None, f"{what}: {none}: minutes per feature undefined"
    return (minutes or 0) / features, None


def interaction_day(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str) -> dict[str, Any]:
    d = date.fromisoformat(day)
    files = day_files(settings, "claude_code", [str(d - timedelta(days=1)), day])
    rows: list[dict[str, Any]] = []
    if files:
        found = conn.execute(PROMPTS_SQL, {"files": files, "tz": settings.timezone, "day": d,
                                           "yesterday": d - timedelta(days=1)}).fetchall()
        done = dict(conn.execute("""SELECT session_id, sum(features_completed) FROM sessions
            WHERE source = 'ccc' AND day = ? AND features_completed IS NOT NULL GROUP BY 1""", [d]).fetchall())
        for sid, prompts, idle, minutes in found:
            fc = done.get(sid)
            impf, why = minutes_per_feature(minutes, fc, "impf", "no feature count for this session (CCC session_end)",
                                            "no feature completed in this session")
            errors = [why] if why else []
            rows.append({"day": d, "session_id": sid, "prompts": prompts, "idle_prompts": idle,
                         "interaction_minutes": minutes, "features_completed": None if fc is None else int(fc),
                         "impf": impf, "errors": errors or None})
    conn.execute("DELETE FROM interaction_daily WHERE day = ?", [d])
    insert_rows(conn, "interaction_daily", rows)
    return {"sessions": len(rows), "minutes": sum(r["interaction_minutes"] for r in rows) if rows else None,
            "transcripts": bool(files)}
