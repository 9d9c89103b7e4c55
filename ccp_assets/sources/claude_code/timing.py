"""What a Claude Code turn row learns from the lines around its response (after the turns insert).

- input_kind: `image` when the line a response answers carries an `image` content block (a pasted
  screenshot). The answered line is the parent of the response's *first* line: Claude Code writes one
  line per content block, each later block's parent being the previous block, so the line the dedup
  keeps (the largest token total, usually the last block) never points at the prompt itself.
- latency_ms: from the timestamps, the time from the answered line (prompt or tool result) to the
  response's last line (Claude Code stamps a block when it is written). A subagent response known only
  from its parent's agent_progress lines (no parentUuid there) answers the latest message streamed to
  that subagent before it. NULL when neither is known.
Both are staged with the chunk's lines (temp table cc_turn_inputs, built outside the transaction as
warehouse/tx.py asks) and written by one UPDATE after the turns insert.
"""

from __future__ import annotations

from datetime import date

import duckdb

RESPONSE_INPUTS_SQL = """
CREATE OR REPLACE TEMP TABLE cc_turn_inputs AS
WITH r AS (
    SELECT coalesce(message_id || ':' || request_id, file || ':' || byte_offset) AS turn_id, ts, session_id, subagent,
           parent_uuid AS parent  -- embedded: data.message.parentUuid (the outer line's parent is the Task call)
    FROM cc_responses  -- every line of a response (its key is the turn's), usage or not
), g AS (
    SELECT turn_id, arg_min(parent, ts) AS input_uuid, min(ts) AS first_ts, max(ts) AS last_ts,
           any_value(session_id) AS session_id, any_value(subagent) AS subagent,
           bool_or(parent IN (SELECT uuid FROM cc_images)) AS image
    FROM r GROUP BY turn_id
), inputs AS (
    SELECT uuid, min(TRY_CAST(line_timestamp AS TIMESTAMPTZ)) AS input_ts FROM cc_lines
    WHERE uuid IS NOT NULL AND NOT embedded GROUP BY uuid
), streamed AS (  -- a subagent's messages as its parent's agent_progress lines carry them (no parentUuid there)
    SELECT session_id, embedded_agent_id AS agent, TRY_CAST(a_timestamp AS TIMESTAMPTZ) AS t FROM cc_lines
    WHERE embedded AND a_type = 'user' AND a_timestamp IS NOT NULL
), answered AS (
    SELECT g.*, coalesce(i.input_ts, s.t) AS input_ts
    FROM g LEFT JOIN inputs i ON i.uuid = g.input_uuid
    ASOF LEFT JOIN streamed s ON s.session_id = g.session_id AND s.agent = g.subagent AND g.first_ts >= s.t
)
SELECT turn_id, image,
       CASE WHEN input_ts IS NOT NULL AND last_ts >= input_ts THEN epoch_ms(last_ts) - epoch_ms(input_ts) END
           AS latency_ms
FROM answered
"""


def stage_turn_inputs(conn: duckdb.DuckDBPyConnection) -> None:
    """Temp table cc_turn_inputs(turn_id, image, latency_ms) from the staged lines."""
    conn.execute(RESPONSE_INPUTS_SQL)


def fill_turn_inputs(conn: duckdb.DuckDBPyConnection, source: str, lo: date, hi: date) -> None:
    """Set input_kind and latency_ms of the chunk's claude_code turns from cc_turn_inputs."""
    conn.execute("""UPDATE turns SET latency_ms = x.latency_ms,
               input_kind = CASE WHEN x.image THEN 'image' ELSE turns.input_kind END
        FROM cc_turn_inputs x
        WHERE turns.source = ? AND turns.day BETWEEN ? AND ? AND turns.turn_id = x.turn_id""", [source, lo, hi])
