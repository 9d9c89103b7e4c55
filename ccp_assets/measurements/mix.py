"""Model mix (`model_mix_daily`) and routing lanes (`routing_daily`), METRICS.md "Tokens, cost, and model mix".

Model mix, per model and per subagent (kind `model` / `subagent`; the main thread is the subagent
`main`), over the day's counted calls (`priced_turns`, each answered call once): turns, tokens (input +
output + cache write + cache read), estimated cost, and the features completed in the sessions it took
part in (the CCC client's session_end `features_completed`), each also as a share of the day's total.
Feature shares are NULL when no session has a feature count (and do not add up to 1: a session using two
models counts for both).

Routing, per CCP proxy lane: requests (completions + errors), errors, latency p50/p95 of completions,
reroute decisions (decisions other than pass_through) and every decision kind counted; from the usage log
when the day has one (`source` = log), else from the proxy's METRICS summary (`source` = summary), whose
per-lane `count` is the lane's completions and `errors` its failed attempts: requests = count + errors,
as the log counts them (completions + errors).
"""

from __future__ import annotations

from datetime import date

import duckdb

MIX_SQL = """
INSERT INTO model_mix_daily BY NAME
WITH t AS (
    SELECT *, coalesce(input_tokens, 0) + coalesce(output_tokens, 0) + coalesce(cache_creation_5m_tokens, 0)
              + coalesce(cache_creation_1h_tokens, 0) + coalesce(cache_read_tokens, 0) AS tokens
    FROM priced_turns WHERE day = $day
), fc AS (
    SELECT session_id, sum(features_completed) AS features FROM sessions
    WHERE source = 'ccc' AND day = $day AND features_completed IS NOT NULL GROUP BY 1
), keyed AS (
    SELECT 'model' AS kind, model AS "key", * FROM t
    UNION ALL BY NAME SELECT 'subagent' AS kind, coalesce(subagent, 'main') AS "key", * FROM t
), agg AS (
    SELECT kind, "key", count(*) AS turns, sum(tokens) AS tokens, sum(estimated_usd) AS cost_usd,
           list(DISTINCT session_id) AS sessions
    FROM keyed GROUP BY 1, 2
), tot AS (
    SELECT count(*) AS turns, sum(tokens) AS tokens, sum(estimated_usd) AS cost_usd FROM t
), ftot AS (SELECT sum(features) AS features, count(*) AS n FROM fc)
SELECT $day AS day, a.kind, a."key", a.turns, a.tokens, a.cost_usd,
       CASE WHEN ftot.n > 0 THEN (SELECT coalesce(sum(fc.features), 0) FROM fc
                                  WHERE list_contains(a.sessions, fc.session_id)) END AS features,
       a.turns / nullif(tot.turns, 0) AS turn_share, a.tokens / nullif(tot.tokens, 0) AS token_share,
       a.cost_usd / nullif(tot.cost_usd, 0) AS cost_share,
       CASE WHEN ftot.n > 0 THEN (SELECT coalesce(sum(fc.features), 0) FROM fc
                                  WHERE list_contains(a.sessions, fc.session_id)) / nullif(ftot.features, 0)
       END AS feature_share
FROM agg a, tot, ftot
"""

ROUTING_LOG_SQL = """
INSERT INTO routing_daily BY NAME
WITH calls AS (
    SELECT coalesce(lane, 'unknown') AS lane, event, latency_ms, err_type,
           event = 'error' OR coalesce(is_api_error, false) OR coalesce(status >= 400, false) AS failed
    FROM turns WHERE source = 'ccp_proxy' AND day = $day
), dec AS (
    SELECT coalesce(lane, 'unknown') AS lane, coalesce(decision, 'unknown') AS decision, count(*) AS n
    FROM routing_decisions WHERE source = 'ccp_proxy' AND day = $day GROUP BY 1, 2
), lanes AS (SELECT lane FROM calls UNION SELECT lane FROM dec)
SELECT $day AS day, l.lane, 'log' AS source,
       (SELECT count(*) FROM calls c WHERE c.lane = l.lane) AS requests,
       (SELECT count(*) FROM calls c WHERE c.lane = l.lane AND NOT c.failed) AS completions,
       (SELECT count(*) FROM calls c WHERE c.lane = l.lane AND c.failed) AS error_count,
       (SELECT quantile_cont(latency_ms, 0.5) FROM calls c WHERE c.lane = l.lane AND NOT c.failed) AS p50_ms,
       (SELECT quantile_cont(latency_ms, 0.95) FROM calls c WHERE c.lane = l.lane AND NOT c.failed) AS p95_ms,
       (SELECT coalesce(sum(n), 0) FROM dec d WHERE d.lane = l.lane AND d.decision <> 'pass_through') AS reroutes,
       (SELECT CAST(json_group_object(decision, n) AS JSON) FROM dec d WHERE d.lane = l.lane) AS decisions,
       (SELECT CAST(json_group_object(err_type, k) AS JSON) FROM (
            SELECT coalesce(err_type, 'unknown') AS err_type, count(*) AS k FROM calls c
            WHERE c.lane = l.lane AND c.failed GROUP BY 1)) AS error_types
FROM lanes l ORDER BY l.lane
"""

ROUTING_SUMMARY_SQL = """
INSERT INTO routing_daily BY NAME
SELECT day, lane, 'summary' AS source, requests, completions,
       errors AS error_count, p50_ms, p95_ms, NULL AS reroutes, NULL AS decisions, NULL AS error_types
FROM proxy_summary_lanes WHERE day = $day
QUALIFY row_number() OVER (PARTITION BY lane ORDER BY file DESC) = 1
"""


def mix_day(conn: duckdb.DuckDBPyConnection, day: str) -> int:
    d = date.fromisoformat(day)
    conn.execute("DELETE FROM model_mix_daily WHERE day = ?", [d])
    conn.execute(MIX_SQL, {"day": d})
    return conn.execute("SELECT count(*) FROM model_mix_daily WHERE day = ?", [d]).fetchone()[0]


def routing_day(conn: duckdb.DuckDBPyConnection, day: str) -> int:
    d = date.fromisoformat(day)
    conn.execute("DELETE FROM routing_daily WHERE day = ?", [d])
    has_log = conn.execute("""SELECT (SELECT count(*) FROM turns WHERE source = 'ccp_proxy' AND day = $day)
        + (SELECT count(*) FROM routing_decisions WHERE source = 'ccp_proxy' AND day = $day)""", {"day": d}).fetchone()[0]
    conn.execute(ROUTING_LOG_SQL if has_log else ROUTING_SUMMARY_SQL, {"day": d})
    return conn.execute("SELECT count(*) FROM routing_daily WHERE day = ?", [d]).fetchone()[0]
