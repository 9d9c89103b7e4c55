"""What a Claude Code turn row learns from the lines around its response (after the turns insert).

- input_kind: `image` when the line a response answers carries an `image` content block (a pasted
  screenshot). The answered line is the parent of the response's *first* line: Claude Code writes one
  line per content block, each later block's parent being the previous block, so the line the dedup
  keeps (the largest token total, usually the last block) never points at the prompt itself.
- latency_ms: from the timestamps, the time from the answered line (prompt or tool result) to the
  response's last line (Claude Code stamps a block when it is written). NULL when the answered line
  is not in the transcripts we hold (an embedded subagent response whose subagent file is missing).
Both are staged with the chunk's lines (temp table cc_turn_inputs, built outside the transaction as
warehouse/tx.py asks) and written by one UPDATE after the turns insert.
"""

from __future__ import annotations

from datetime import date

import duckdb

RESPONSE_INPUTS_SQL = """
CREATE OR REPLACE TEMP TABLE cc_turn_inputs AS
WITH r AS (
    SELECT coalesce(message_id || ':' || request_id, file || ':' || byte_offset) AS turn_id, ts,
           coalesce(parent_uuid, outer_parent_uuid) AS parent
    FROM cc_responses WHERE has_usage
), g AS (
    SELECT turn_id, arg_min(parent, ts) AS input_uuid, max(ts) AS last_ts,
           bool_or(parent IN (SELECT uuid FROM cc_images)) AS answers_image
    FROM r GROUP BY turn_id
), inputs AS (
    SELECT uuid, min(TRY_CAST(line_timestamp AS TIMESTAMPTZ)) AS input_ts FROM cc_lines
    WHERE uuid IS NOT NULL AND NOT embedded GROUP BY uuid
)
SELECT g.turn_id, g.answers_image OR coalesce(g.input_uuid IN (SELECT uuid FROM cc_images), false) AS image,
       CASE WHEN i.input_ts IS NOT NULL AND g.last_ts >= i.input_ts
            THEN (epoch_ms(g.last_ts) - epoch_ms(i.input_ts)) END AS latency_ms
FROM g LEFT JOIN inputs i ON i.uuid = g.input_uuid
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
