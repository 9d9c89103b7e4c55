"""Tokens and cost per model and token kind, counting every answered model call once.

The counted set of one day (`priced_turns`):
- every Claude Code turn, attributed to the model and provider that really answered it: when the CCP
  proxy rerouted it (`unified_turns.routed_model` / `provider`), that one, else the transcript's
  (`<synthetic>` messages are Claude Code's own, not model calls: left out; a line's `costUSD` is its cost;
  an old-schema line without a model is counted under `<unknown>`);
- CCP proxy completions no Claude Code turn matched (other clients, transcripts we do not have);
- the AgentOS tracker's old-style proxy samples (`agentos_proxy`) only on a day without a proxy log;
- CCC client turns only for sessions without Claude Code transcripts (CCC summarizes per prompt what a
  transcript records per API call: counting both would count a call twice);
- the calls of an agent source no other source records (Codex: `Source.calls` = "own"), as unified_turns
  holds them (rows with neither a transcript nor a proxy turn), under that source's own name.
Pricing: API calls by tokens with the versioned price table (`pricing/`, the same SQL that prices
`turn_costs`, so an agent source's calls are priced by its own rules: Codex's whole-request long context); calls to a subscription provider (zai: the GLM Coding Plan) by prompt, one prompt per
call, at plan price / prompt cap (`plans_v1.json`). A day with GLM window prompt counts but no GLM call
in any log gets those prompts priced under the model `glm`. An unknown model costs 0 and stays
`priced = false` so the rollup names it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import duckdb

from ccp_assets.measurements.glm import GLM_PROMPTS_SQL
from ccp_assets.pricing.table import TURN_COSTS_VIEW


@cache
def plan_table() -> dict[str, Any]:
    return json.loads(resources.files("ccp_assets.measurements").joinpath("plans_v1.json").read_text())


def subscription_plan(provider: str) -> tuple[str, dict[str, Any]]:
    """(plan name, plan) assumed for a provider's subscription calls."""
    table = plan_table()
    name = table["default"][provider]
    return name, table["plans"][name]


def price_per_prompt(provider: str = "zai") -> float:
    _, plan = subscription_plan(provider)
    return plan["price_usd"] / plan["prompt_cap"]


def _costs_sql() -> str:
    head, src = "CREATE OR REPLACE VIEW turn_costs AS", "FROM turns t"
    assert TURN_COSTS_VIEW.count(head) == 1 and TURN_COSTS_VIEW.count(src) == 1, "pricing SQL changed shape"
    return TURN_COSTS_VIEW.replace(head, "CREATE OR REPLACE TEMP VIEW m_counted_costs AS").replace(
        src, "FROM m_counted t")


# Set-based over the step's days (`m_days`): one statement per stage instead of one per day (issue 16: the
# per-day statements re-evaluated `turn_costs` 62 times on a 62-day corpus). Each day's rows are exactly the
# one-day reading's: the ±1 day windows are per row (`t.day ± 1`), the NOT IN lists became NOT EXISTS (same
# answer: turn_id is never null and the lists hold no nulls).
COUNTED_SQL = """
CREATE OR REPLACE TEMP TABLE m_counted AS
WITH cc AS (
    SELECT t.* REPLACE (coalesce(u.routed_model, t.model, '<unknown>') AS model, coalesce(u.provider, t.provider) AS provider,
                        coalesce(u.lane, t.lane) AS lane),
           t.model AS transcript_model
    FROM turns t LEFT JOIN unified_turns u ON u.claude_code_turn_id = t.turn_id AND u.day = t.day
    WHERE t.source = 'claude_code' AND t.day IN (SELECT day FROM m_days) AND t.model IS DISTINCT FROM '<synthetic>'
), px AS (
    SELECT t.*, t.model AS transcript_model FROM turns t
    WHERE t.source = 'ccp_proxy' AND t.day IN (SELECT day FROM m_days) AND t.event = 'completion'
      AND NOT EXISTS (SELECT 1 FROM unified_turns u
                      WHERE u.proxy_turn_id = t.turn_id AND u.day BETWEEN t.day - 1 AND t.day + 1
                        AND u.claude_code_turn_id IS NOT NULL)
), ap AS (
    SELECT t.*, t.model AS transcript_model FROM turns t
    WHERE t.source = 'agentos_proxy' AND t.day IN (SELECT day FROM m_days) AND coalesce(t.is_api_error, false) = false
      AND NOT EXISTS (SELECT 1 FROM turns x WHERE x.source = 'ccp_proxy' AND x.day = t.day)
), ccc AS (
    SELECT t.*, t.model AS transcript_model FROM turns t
    WHERE t.source = 'ccc' AND t.day IN (SELECT day FROM m_days)
      AND NOT EXISTS (SELECT 1 FROM turns s WHERE s.source = 'claude_code' AND s.session_id = coalesce(t.session_id, '')
                      AND s.day BETWEEN t.day - 1 AND t.day + 1)
), own AS (
    SELECT t.*, t.model AS transcript_model FROM turns t
    JOIN unified_turns u ON u.turn_id = t.turn_id AND u.day = t.day AND u.sources = [t.source]
    WHERE t.day IN (SELECT day FROM m_days) AND u.claude_code_turn_id IS NULL AND u.proxy_turn_id IS NULL
)
SELECT * FROM cc UNION ALL BY NAME SELECT * FROM px UNION ALL BY NAME SELECT * FROM ap
UNION ALL BY NAME SELECT * FROM ccc UNION ALL BY NAME SELECT * FROM own
"""

PRICED_SQL = """
INSERT INTO priced_turns BY NAME
SELECT turn_id, day, ts, source, session_id, subagent, model, transcript_model, provider, lane,
       CASE WHEN sub THEN 'subscription_prompts' ELSE 'api_tokens' END AS basis,
       i AS input_tokens, o AS output_tokens, c5m AS cache_creation_5m_tokens, c1h AS cache_creation_1h_tokens,
       cr AS cache_read_tokens, CASE WHEN sub THEN 1 ELSE 0 END AS prompts,
       CASE WHEN sub THEN 0 ELSE input_usd END AS input_usd, CASE WHEN sub THEN 0 ELSE output_usd END AS output_usd,
       CASE WHEN sub THEN 0 ELSE cache_write_usd END AS cache_write_usd,
       CASE WHEN sub THEN 0 ELSE cache_read_usd END AS cache_read_usd,
       CASE WHEN sub THEN $ppp ELSE 0 END AS prompt_usd,
       CASE WHEN sub THEN $ppp ELSE estimated_usd END AS estimated_usd,
       sub OR priced AS priced, CASE WHEN sub THEN $plan_version ELSE price_version END AS price_version,
       CASE WHEN sub THEN $plan END AS plan
FROM (SELECT *, coalesce(provider IN ('zai'), false) AS sub FROM m_counted_costs)
"""

BY_MODEL_SQL = """
INSERT INTO usage_model_daily BY NAME
SELECT day, model, provider, basis, count(*) AS turns, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cache_creation_5m_tokens) AS cache_creation_5m_tokens,
       sum(cache_creation_1h_tokens) AS cache_creation_1h_tokens, sum(cache_read_tokens) AS cache_read_tokens,
       sum(prompts) AS prompts, sum(input_usd) AS input_usd, sum(output_usd) AS output_usd,
       sum(cache_write_usd) AS cache_write_usd, sum(cache_read_usd) AS cache_read_usd,
       sum(prompt_usd) AS prompt_usd, sum(estimated_usd) AS estimated_usd, bool_and(priced) AS priced,
       any_value(price_version) AS price_version, any_value(plan) AS plan
FROM priced_turns WHERE day IN (SELECT day FROM m_days) GROUP BY day, model, provider, basis
"""

GLM_WINDOWS_SQL = f"""
INSERT INTO usage_model_daily BY NAME
SELECT $day AS day, 'glm' AS model, 'zai' AS provider, 'subscription_prompts' AS basis, 0 AS turns, 0 AS input_tokens,
       0 AS output_tokens, 0 AS cache_creation_5m_tokens, 0 AS cache_creation_1h_tokens, 0 AS cache_read_tokens,
       CAST(round(sum(prompts)) AS BIGINT) AS prompts, 0.0 AS input_usd, 0.0 AS output_usd,
       0.0 AS cache_write_usd, 0.0 AS cache_read_usd, sum(prompts) * $ppp AS prompt_usd,
       sum(prompts) * $ppp AS estimated_usd, true AS priced, $plan_version AS price_version, $plan AS plan
FROM ({GLM_PROMPTS_SQL}) g
WHERE NOT EXISTS (SELECT 1 FROM priced_turns WHERE day = $day AND provider = 'zai')
HAVING sum(prompts) > 0
"""


# Days that may have GLM window prompts (a superset: GLM_WINDOWS_SQL decides); only these run it, one each.
GLM_DAYS_SQL = """
SELECT DISTINCT day FROM windows WHERE source = 'agentos' AND provider = 'glm' AND day IN (SELECT day FROM m_days)
UNION SELECT DISTINCT day FROM glm_counts WHERE source = 'agentos' AND day IN (SELECT day FROM m_days)
ORDER BY day
"""

SUMMARY_SQL = """
SELECT day, coalesce(sum(turns), 0), coalesce(sum(estimated_usd), 0),
       list(DISTINCT coalesce(model, '(no model)')) FILTER (WHERE NOT priced)
FROM usage_model_daily WHERE day IN (SELECT day FROM m_days) GROUP BY day
"""


def set_days(conn: duckdb.DuckDBPyConnection, days: list) -> None:
    """The temp table `m_days` the set-based statements read: the step's (usable) days."""
    conn.execute("CREATE OR REPLACE TEMP TABLE m_days (day DATE PRIMARY KEY)")
    if days:
        conn.execute("INSERT INTO m_days SELECT unnest(?::DATE[])", [[str(d) for d in days]])


def price_days(conn: duckdb.DuckDBPyConnection, days: list) -> dict[str, dict[str, Any]]:
    """Replace the days' `priced_turns` and `usage_model_daily` rows (one statement per stage for all the
    days, then GLM window prompts on the few days that have any); returns a small summary per day."""
    set_days(conn, days)
    plan_name, _plan = subscription_plan("zai")
    price = {"ppp": price_per_prompt("zai"), "plan": plan_name, "plan_version": f"plans:{plan_table()['version']}"}
    conn.execute("DELETE FROM priced_turns WHERE day IN (SELECT day FROM m_days)")
    conn.execute("DELETE FROM usage_model_daily WHERE day IN (SELECT day FROM m_days)")
    conn.execute(COUNTED_SQL)
    conn.execute(_costs_sql())
    conn.execute(PRICED_SQL, price)
    conn.execute(BY_MODEL_SQL)
    for (d,) in conn.execute(GLM_DAYS_SQL).fetchall():
        conn.execute(GLM_WINDOWS_SQL, {"day": d, **price})
    out = {str(day): {"turns": 0, "estimated_usd": 0.0, "unpriced": []} for day in days}
    for d, turns, usd, unpriced in conn.execute(SUMMARY_SQL).fetchall():
        out[str(d)] = {"turns": int(turns), "estimated_usd": float(usd), "unpriced": sorted(unpriced or [])}
    return out


def price_day(conn: duckdb.DuckDBPyConnection, day: str) -> dict[str, Any]:
    """Replace one day's `priced_turns` and `usage_model_daily` rows; returns a small summary."""
    return price_days(conn, [day])[str(day)]
