"""`unified_turns`: one row per answered model call, whichever sources saw it, for one day.

Claude Code records what the client asked and got back (its transcript may echo a Claude model name
even when the proxy answered with GLM); the CCP proxy records where the request really went. The
join rule, applied to Claude Code turns and proxy completions (errors are attempts, not answers):

1. request id: the proxy line carries `request_id` (or a `rid`) equal to the turn's `requestId`.
2. else time window: the transcript's response time lies within the proxy call's span widened by
   MATCH_WINDOW_S on both sides, [ts - latency_ms - N, ts + N] (the proxy's `ts` is written when the
   call completes), and the models are compatible: the same model once vendor prefixes (`anthropic/`)
   and date suffixes (`-20250929`) are dropped, or the proxy sent it to a non-Anthropic provider (a
   rerouted call answers under another model's name by design).
   Pairs are taken one-to-one, best first: a same-model pair before a rerouted one, then the smallest
   gap between the transcript time and the proxy span (then to the proxy's completion time); a pair is
   taken when each is the other's best remaining candidate, repeated until no pair is left. A turn
   considers its MAX_CANDIDATES best proxy calls.

A matched row is attributed to the proxy's provider and model (`provider`, `routed_model`) while
`model` keeps what the transcript says; tokens are the transcript's (they have the cache breakdown),
the proxy's are kept in proxy_tokens_in/out; latency is the proxy's when it saw the call, else the
transcript's (answered line to last response line, sources/claude_code/timing.py). Unmatched Claude Code turns keep their own provider;
unmatched proxy completions (other clients, or transcripts we do not have) are rows of their own.
Candidates come from the day and its two neighbours, so calls straddling midnight still match; a row's
day is its Claude Code turn's day (else the proxy's). CCC client turns are not rows here: they summarize
per prompt what transcripts record per API call, and join by session_id instead.

Which sources play which part comes from the registry (sources/protocol.py: `Source.calls`): the
"transcript" and the "proxy" source are matched as above; each completed turn of an "own" source (an
agent such as Codex, whose calls no proxy or transcript here records) is a row of its own, `sources` =
[that source], with no match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from ccp_assets.warehouse.tx import transaction

MATCH_WINDOW_S = 10.0
MAX_ROUNDS = 20
# Each turn keeps only its best few proxy candidates: pairs within the window grow with the square of
# the traffic (5M pairs a day on the 4 GB benchmark corpus). On the 337 MB corpus no turn needed
# more than its 16 best: the same pairs as without a cap.
MAX_CANDIDATES = 16
CANDIDATE_SLICE = 10_000  # turns ranked per statement


def _norm(col: str) -> str:
    return (f"regexp_replace(regexp_replace(lower(coalesce({col}, '')), '^[a-z0-9._-]+/', ''), "
            f"'-[0-9]{{8}}$', '')")


@dataclass(frozen=True)
class Roles:
    """The `source` values of the matched pair and of the sources whose turns are calls of their own."""

    transcript: str = "claude_code"
    proxy: str = "ccp_proxy"
    own: tuple[str, ...] = ()


@dataclass
class UnifiedResult:
    """One day's unified_turns: rows, how they matched, and each "own" source's calls ({source: rows})."""

    day: str
    own_calls: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    claude_code: int = 0
    proxy_only: int = 0
    matched_by_request_id: int = 0
    matched_by_time: int = 0
    rerouted: int = 0


def build_day(conn: duckdb.DuckDBPyConnection, day: str, roles: Roles = Roles()) -> UnifiedResult:
    res = UnifiedResult(day)
    d = date.fromisoformat(day)
    lo, hi = d - timedelta(days=1), d + timedelta(days=1)
    cc, px = roles.transcript, roles.proxy
    # Only what matching reads: the rows come back from `turns` for the day's insert (wide rows of
    # three days held in memory were what ran out of it at scale).
    conn.execute("""CREATE OR REPLACE TEMP TABLE u_cc AS SELECT turn_id, ts, day, model, provider, request_id
        FROM turns WHERE source = ? AND day BETWEEN ? AND ?""", [cc, lo, hi])
    conn.execute("""CREATE OR REPLACE TEMP TABLE u_px AS
        SELECT turn_id, ts, day, model, provider, request_id, rid, latency_ms FROM turns
        WHERE source = ? AND event = 'completion' AND day BETWEEN ? AND ?""", [px, lo, hi])
    _match(conn)  # staged outside the transaction (see warehouse/tx.py)
    with transaction(conn):
        conn.execute("DELETE FROM unified_turns WHERE day = ?", [d])
        conn.execute("""INSERT INTO unified_turns BY NAME
            SELECT c.turn_id, c.day, c.ts,
                   CASE WHEN p.turn_id IS NULL THEN [$cc] ELSE [$cc, $px] END AS sources,
                   m.rule AS match_rule, m.delta_s AS match_delta_s, c.session_id, c.subagent, c.model,
                   coalesce(p.model, c.model) AS routed_model, coalesce(p.provider, c.provider) AS provider,
                   p.lane, p.upstream, p.rid, coalesce(c.request_id, p.request_id) AS request_id, p.decision,
                   p.decision_reason, c.tokens_in, c.tokens_out, c.cache_creation_tokens, c.cache_creation_5m_tokens,
                   c.cache_creation_1h_tokens, c.cache_read_tokens, p.tokens_in AS proxy_tokens_in,
                   p.tokens_out AS proxy_tokens_out, coalesce(p.latency_ms, c.latency_ms) AS latency_ms, p.ttft_ms,
                   p.status, c.turn_id AS claude_code_turn_id, p.turn_id AS proxy_turn_id
            FROM turns c LEFT JOIN u_match m ON m.cc = c.turn_id
                 LEFT JOIN turns p ON p.source = $px AND p.turn_id = m.px
            WHERE c.source = $cc AND c.day = $d""", {"cc": cc, "px": px, "d": d})
        conn.execute("""INSERT INTO unified_turns BY NAME
            SELECT p.turn_id, p.day, p.ts, [$px] AS sources, p.session_id, p.model, p.model AS routed_model,
                   p.provider, p.lane, p.upstream, p.rid, p.request_id, p.decision, p.decision_reason,
                   p.tokens_in, p.tokens_out, p.tokens_in AS proxy_tokens_in, p.tokens_out AS proxy_tokens_out,
                   p.latency_ms, p.ttft_ms, p.status, p.turn_id AS proxy_turn_id
            FROM turns p WHERE p.source = $px AND p.event = 'completion' AND p.day = $d
              AND p.turn_id NOT IN (SELECT px FROM u_match)""", {"px": px, "d": d})
        if roles.own:
            conn.execute(OWN_CALLS_SQL, {"own": list(roles.own), "d": d})
    (res.rows, res.claude_code, res.proxy_only, res.matched_by_request_id, res.matched_by_time,
     res.rerouted) = conn.execute("""SELECT count(*), count(claude_code_turn_id),
            count(*) FILTER (WHERE claude_code_turn_id IS NULL AND proxy_turn_id IS NOT NULL),
            count(*) FILTER (WHERE match_rule = 'request_id'), count(*) FILTER (WHERE match_rule = 'time_window'),
            count(*) FILTER (WHERE claude_code_turn_id IS NOT NULL AND proxy_turn_id IS NOT NULL
                             AND provider <> 'anthropic')
        FROM unified_turns WHERE day = ?""", [d]).fetchone()
    if roles.own:
        counts = dict(conn.execute("SELECT sources[1], count(*) FROM unified_turns WHERE day = ? AND "
                                   "claude_code_turn_id IS NULL AND proxy_turn_id IS NULL GROUP BY 1", [d]).fetchall())
        res.own_calls = {s: counts.get(s, 0) for s in roles.own}
    return res


# An "own" source's completed calls as they are: no error line, no attempt, no local placeholder message.
OWN_CALLS_SQL = """INSERT INTO unified_turns BY NAME
    SELECT turn_id, day, ts, [source] AS sources, session_id, subagent, model, model AS routed_model, provider,
           lane, upstream, rid, request_id, tokens_in, tokens_out, cache_creation_tokens, cache_creation_5m_tokens,
           cache_creation_1h_tokens, cache_read_tokens, latency_ms, ttft_ms, status
    FROM turns WHERE source IN (SELECT unnest($own)) AND day = $d
      AND coalesce(event, 'completion') = 'completion' AND NOT coalesce(is_api_error, false)
      AND model IS DISTINCT FROM '<synthetic>'"""


def _match(conn: duckdb.DuckDBPyConnection) -> None:
    """Fill temp table u_match(cc, px, rule, delta_s): request-id pairs, then mutual-best time pairs."""
    conn.execute("""CREATE OR REPLACE TEMP TABLE u_match AS
        SELECT c.turn_id AS cc, p.turn_id AS px, 'request_id' AS rule,
               abs(epoch(c.ts) - epoch(p.ts)) AS delta_s
        FROM u_cc c JOIN (SELECT turn_id, ts, request_id AS id FROM u_px WHERE request_id IS NOT NULL
                          UNION SELECT turn_id, ts, rid FROM u_px WHERE rid IS NOT NULL) p  -- equi-joins, no OR
            ON c.request_id = p.id
        QUALIFY row_number() OVER (PARTITION BY c.turn_id ORDER BY abs(epoch(c.ts) - epoch(p.ts)), p.turn_id) = 1
            AND row_number() OVER (PARTITION BY p.turn_id ORDER BY abs(epoch(c.ts) - epoch(p.ts)), c.turn_id) = 1""")
    # Integer ids numbered in turn_id order (ties still break by turn_id): the pairs, candidates and
    # rounds below carry numbers, not ids of 40-60 characters, which bounds their memory at scale.
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE u_c AS
        SELECT row_number() OVER (ORDER BY turn_id) AS ci, turn_id, epoch(ts) AS e, {_norm('model')} AS m, provider
        FROM u_cc WHERE turn_id NOT IN (SELECT cc FROM u_match)
            AND model IS DISTINCT FROM '<synthetic>'  -- a local placeholder, no API call: no proxy line is its""")
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE u_p AS
        SELECT row_number() OVER (ORDER BY turn_id) AS pi, turn_id, epoch(ts) AS e,
               coalesce(latency_ms, 0) / 1000.0 AS lat, {_norm('model')} AS m, provider
        FROM u_px WHERE turn_id NOT IN (SELECT px FROM u_match)""")
    _candidates(conn)
    conn.execute("CREATE OR REPLACE TEMP TABLE u_tm (ci BIGINT, pi BIGINT, delta_s DOUBLE)")
    for _ in range(MAX_ROUNDS):
        added = conn.execute("""INSERT INTO u_tm
            SELECT ci, pi, delta_s FROM (
                SELECT *, row_number() OVER (PARTITION BY ci ORDER BY model_rank, gap, delta_s, pi) AS rc,
                          row_number() OVER (PARTITION BY pi ORDER BY model_rank, gap, delta_s, ci) AS rp
                FROM u_cand WHERE ci NOT IN (SELECT ci FROM u_tm) AND pi NOT IN (SELECT pi FROM u_tm))
            WHERE rc = 1 AND rp = 1""").fetchone()
        if not added or not added[0]:
            break
    conn.execute("""INSERT INTO u_match SELECT c.turn_id, p.turn_id, 'time_window', t.delta_s
        FROM u_tm t JOIN u_c c USING (ci) JOIN u_p p USING (pi)""")


def _candidates(conn: duckdb.DuckDBPyConnection) -> None:
    """Temp table u_cand(ci, pi, model_rank, gap, delta_s): each turn's best proxy calls in the window.

    Pairs within the window grow with the square of the traffic (6M a day on the 4 GB corpus), so they
    are ranked a slice of turns at a time: a turn's candidates depend on that turn alone, and a slice's
    pairs stay well inside the memory limit.
    """
    n = MATCH_WINDOW_S
    conn.execute("CREATE OR REPLACE TEMP TABLE u_cand (ci BIGINT, pi BIGINT, model_rank INTEGER, gap DOUBLE, "
                 "delta_s DOUBLE)")
    turns = conn.execute("SELECT count(*) FROM u_c").fetchone()[0]
    for lo in range(1, turns + 1, CANDIDATE_SLICE):
        conn.execute(f"""INSERT INTO u_cand
            SELECT c.ci, p.pi, CASE WHEN c.m = p.m THEN 0 ELSE 1 END AS model_rank,
                   greatest(p.e - p.lat - c.e, c.e - p.e, 0) AS gap, abs(c.e - p.e) AS delta_s
            FROM (SELECT * FROM u_c WHERE ci BETWEEN {lo} AND {lo + CANDIDATE_SLICE - 1}) c
            JOIN u_p p ON c.e BETWEEN p.e - p.lat - {n} AND p.e + {n}
            WHERE c.m = p.m OR p.provider <> 'anthropic' OR c.provider <> 'anthropic'
            QUALIFY row_number() OVER (PARTITION BY c.ci ORDER BY model_rank, gap, delta_s, p.pi)
                    <= {MAX_CANDIDATES}""")
