"""Human interaction minutes per session and day (`interaction_daily`), METRICS.md "IMPF".

Read straight from the landed Claude Code lines (`$CCP_HOME/landing/claude_code/day=D/*.parquet`, column
`line`): each day sees its own lines and the day before's (a prompt just after midnight answers an output of
the evening); the step's days are computed BATCH_DAYS at a time, each batch's files read and parsed once.

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
from ccp_assets.warehouse.tx import transaction

CAP_SECONDS = 300.0
NOT_HUMAN = "^\\s*<(local-command-stdout|local-command-stderr|local-command-caveat|task-notification)"

EVENT = Parsed.of("v", ["sessionId", "uuid", "type", "timestamp", "isSidechain", "isMeta", "isCompactSummary"])

# Days per query: a batch of 7 reads 8 landed days once (the day before the first, for midnight), and keeps
# only the small per-line fields of `user`/`assistant` lines (twice: for the file's day and the next one)
# in DuckDB's DISTINCT, never the lines themselves; normalization batches days the same way.
BATCH_DAYS = 7

PROMPTS_SQL = f"""
WITH landed AS (  -- which landed day each file belongs to (its `day=D` folder)
    SELECT unnest($files) AS file, CAST(unnest($file_days) AS DATE) AS fday
), raw AS (  -- one parse of each line for its small fields; the message text is read for prompts only
    SELECT line, filename, {EVENT.select('line')}
    FROM read_parquet($files, hive_partitioning = false, filename = true)
), parsed AS (
    SELECT l.fday, {EVENT.text('sessionId')} AS sid, {EVENT.text('uuid')} AS uuid, {EVENT.text('type')} AS type,
           TRY_CAST({EVENT.text('timestamp')} AS TIMESTAMPTZ) AS t,
           coalesce(TRY_CAST({EVENT.text('isSidechain')} AS BOOLEAN), false) AS side,
           coalesce(TRY_CAST({EVENT.text('isMeta')} AS BOOLEAN), false) AS meta,
           coalesce(TRY_CAST({EVENT.text('isCompactSummary')} AS BOOLEAN), false) AS compact,
           CASE WHEN {EVENT.text('type')} = 'user' THEN json_type(line, '$.message.content') END AS ctype,
           CASE WHEN {EVENT.text('type')} = 'user' AND json_type(line, '$.message.content') = 'VARCHAR'
                THEN NOT regexp_matches(line->>'$.message.content', '{NOT_HUMAN}') END AS human_text,
           CASE WHEN {EVENT.text('type')} = 'user' AND json_type(line, '$.message.content') = 'ARRAY'
                THEN CAST(json_extract_string(line, '$.message.content[*].type') AS VARCHAR[]) END AS blocks
    FROM raw JOIN landed l ON l.file = raw.filename
    WHERE {EVENT.text('type')} IN ('user', 'assistant')
), ev AS (  -- each day D sees exactly the lines landed on D - 1 and D, deduplicated within that pair
    SELECT DISTINCT d.day, sid, uuid, type, t, side, meta, compact, ctype, human_text, blocks
    FROM parsed, (VALUES (0), (1)) s(k), (SELECT CAST(unnest($days) AS DATE) AS day) d
    WHERE d.day = parsed.fday + s.k
), prompts AS (
    SELECT DISTINCT day, sid, uuid, t FROM ev
    WHERE type = 'user' AND NOT side AND NOT meta AND NOT compact AND sid IS NOT NULL AND t IS NOT NULL
      AND CAST(timezone($tz, t) AS DATE) = day
      AND ((ctype = 'VARCHAR' AND human_text)
           OR (ctype = 'ARRAY' AND list_contains(blocks, 'image') AND NOT list_contains(blocks, 'tool_result')))
), outs AS (
    SELECT DISTINCT day, sid, t FROM ev WHERE type = 'assistant' AND NOT side AND sid IS NOT NULL AND t IS NOT NULL
), gaps AS (
    SELECT p.day, p.sid, p.t, o.t AS prev, epoch(p.t) - epoch(o.t) AS gap_s
    FROM prompts p ASOF LEFT JOIN outs o ON p.day = o.day AND p.sid = o.sid AND p.t > o.t
), earlier AS (  -- per day: the session was seen before the day before
    SELECT session_id, min(day) AS first_day FROM sessions WHERE source = 'claude_code' GROUP BY session_id
)
SELECT g.day, g.sid, count(*) AS prompts,
       count(*) FILTER (WHERE coalesce(g.gap_s, CASE WHEN e.session_id IS NOT NULL THEN 1e9 END) > {CAP_SECONDS})
           AS idle_prompts,
       sum(CASE WHEN g.prev IS NOT NULL THEN least(g.gap_s, {CAP_SECONDS})
                WHEN e.session_id IS NOT NULL THEN {CAP_SECONDS} ELSE 0 END) / 60.0 AS minutes
FROM gaps g LEFT JOIN earlier e ON e.session_id = g.sid AND e.first_day < g.day - 1
GROUP BY g.day, g.sid ORDER BY g.day, g.sid
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


def interaction_days(conn: duckdb.DuckDBPyConnection, settings: Settings, days: list[str]) -> dict[str, dict]:
    """Replace `interaction_daily` for `days`, {day: its figures}: BATCH_DAYS days per query, each landed line
    parsed once (a day per query parsed every line of it and the day before twice: 13 s of an 83 s cold
    build at 3.7 GB). Each batch's query runs before its transaction, which only deletes and inserts."""
    out: dict[str, dict] = {}
    ordered = sorted(days)
    for i in range(0, len(ordered), BATCH_DAYS):
        out.update(_batch(conn, settings, [date.fromisoformat(d) for d in ordered[i:i + BATCH_DAYS]]))
    return out


def _batch(conn: duckdb.DuckDBPyConnection, settings: Settings, days: list[date]) -> dict[str, dict]:
    wanted = sorted({str(x) for d in days for x in (d - timedelta(days=1), d)})
    files = [(f, d) for d in wanted for f in day_files(settings, "claude_code", [d])]
    found: dict[date, list[tuple]] = {d: [] for d in days}
    if files:
        for day, *row in conn.execute(PROMPTS_SQL, {"files": [f for f, _ in files], "file_days": [d for _, d in files],
                                                    "days": days, "tz": settings.timezone}).fetchall():
            found[day].append(tuple(row))
    done = {(d, sid): fc for d, sid, fc in conn.execute("""SELECT day, session_id, sum(features_completed)
        FROM sessions WHERE source = 'ccc' AND day IN (SELECT unnest(?)) AND features_completed IS NOT NULL
        GROUP BY 1, 2""", [days]).fetchall()}
    landed = {d for _, d in files}
    rows: list[dict[str, Any]] = []
    out: dict[str, dict] = {}
    for d in days:
        day_rows = [_row(d, sid, prompts, idle, minutes, done.get((d, sid))) for sid, prompts, idle, minutes in found[d]]
        rows += day_rows
        out[str(d)] = {"sessions": len(day_rows),
                       "minutes": sum(r["interaction_minutes"] for r in day_rows) if day_rows else None,
                       "transcripts": bool(landed & {str(d - timedelta(days=1)), str(d)})}
    with transaction(conn):
        conn.execute("DELETE FROM interaction_daily WHERE day IN (SELECT unnest(?))", [days])
        insert_rows(conn, "interaction_daily", rows)
    return out


def _row(d: date, sid: str, prompts: int, idle: int, minutes: float, fc: Any) -> dict[str, Any]:  # noqa: ANN401
    impf, why = minutes_per_feature(minutes, fc, "impf", "no feature count for this session (CCC session_end)",
                                    "no feature completed in this session")
    return {"day": d, "session_id": sid, "prompts": prompts, "idle_prompts": idle, "interaction_minutes": minutes,
            "features_completed": None if fc is None else int(fc), "impf": impf, "errors": [why] if why else None}
