"""CCC event log landed lines -> v1 rows (source = 'ccc') for one day, in DuckDB SQL.

- `turn` payload -> `turns`; a wrong-typed field is NULL and named in `type_drift` (`turn.tokens_in:VARCHAR`),
  as for every turns source. A turn without `turn_id` gets one from its provenance (and says so).
  provider comes from the model name (claude -> anthropic, glm -> zai, gpt/o* -> openai, else unknown).
- `decision` -> `routing_decisions` (NULL + type_drift, like the proxy's decisions).
- `feature`, `measurement`, `cost`, `value` payloads -> `features`, `measurements` (scope turn:<id>),
  `reported_costs` (the client's own estimate, not our price table), `value_records`. These are facts
  the client asserts as a whole: a payload with a wrong-typed or missing required field is quarantined
  (stage normalize, kind wrong_type / missing_field, the fields named); the rest of its line still counts.
- Session-days: one `sessions` row per session with events that day: header from its `session` line
  (that day, else the latest earlier row of the same session), first/last event time, turns and models
  of the day, and `session_end` facts (ended_at, features_completed, interaction_minutes).
- Unknown line types are counted and quarantined as skipped. Unknown fields go to `extras`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from ccp_assets.settings import Settings
from ccp_assets.sources.ccc.adapter import LINE_TYPES, CccEventsSource
from ccp_assets.sources.jsonsql import Field, columns, drift, extras, top_keys, typed
from ccp_assets.sources.landing import day_files
from ccp_assets.sources.proxy_wire import DECISION_FIELDS as PROXY_DECISION_FIELDS
from ccp_assets.sources.proxy_wire import provider_sql
from ccp_assets.warehouse.tx import transaction

SOURCE = CccEventsSource.name
ROW_SOURCE = "ccc"

TURN_FIELDS = [
    Field("turn_id", "turn_id", "text"), Field("session_id", "session_id", "text"), Field("model", "model", "str"),
    Field("subagent", "subagent", "str"), Field("tokens_in", "tokens_in", "int"),
    Field("tokens_out", "tokens_out", "int"), Field("input_kind", "input_kind", "str"),
    Field("latency_ms", "latency_ms", "num"), Field("attribution", "attribution", "obj"),
    Field("capacity_used", "capacity_used", "num"),
]
SESSION_FIELDS = [
    Field("session_id", "session_id", "text"), Field("repo_id", "repo_id", "str"), Field("branch", "branch", "str"),
    Field("commit", "commit", "str"), Field("license_id", "license_id", "str"),
    Field("privacy_tier", "privacy_tier", "str"), Field("created_at", "created_at", "str"),
    Field("metadata", "metadata", "obj"),
]
END_FIELDS = [
    Field("session_id", "session_id", "text"), Field("ended_at", "ended_at", "ts"), Field("turns", "turns", "int"),
    Field("features_completed", "features_completed", "int"),
    Field("interaction_minutes", "interaction_minutes", "num"),
]
PAYLOADS: dict[str, tuple[str, list[Field], list[str]]] = {
    # key: (table, fields, required)
    "feature": ("features", [Field("feature_id", "feature_id", "str"), Field("spec_ref", "spec_ref", "str"),
                             Field("status", "status", "str"), Field("notes", "notes", "str")],
                ["feature_id", "spec_ref", "status"]),
    "measurement": ("measurements", [Field("cls", "cls", "num"), Field("impf", "impf", "num"),
                                     Field("churn_score", "churn_score", "num"),
                                     Field("feature_delta", "feature_delta", "num"),
                                     Field("errors", "errors", "strlist")], []),
    "cost": ("reported_costs", [Field("provider", "provider", "str"), Field("estimated_usd", "estimated_usd", "num"),
                                Field("unit_costs", "unit_costs", "obj")], ["provider", "estimated_usd"]),
    "value": ("value_records", [Field("summary", "summary", "str"), Field("links", "links", "strlist"),
                                Field("evidence_refs", "evidence_refs", "strlist")], ["summary"]),
}
DECISION_FIELDS = [f for f in PROXY_DECISION_FIELDS if f.col != "session_id"]
TURN_LINE_KEYS = ["type", "ts", "turn", "decision", *PAYLOADS]


@dataclass
class CccResult:
    day: str
    lines: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    drifted: int = 0
    quarantined: int = 0
    unknown_types: dict[str, int] = field(default_factory=dict)


def normalize_day(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str) -> CccResult:
    """Replace this day's ccc rows in turns, sessions, features, measurements, reported_costs,
    value_records and routing_decisions (idempotent)."""
    res = CccResult(day)
    d = date.fromisoformat(day)
    files = day_files(settings, SOURCE, [day])
    tz = settings.timezone.replace("'", "")
    with transaction(conn):
        for table in ("turns", "sessions", "routing_decisions", *(t for t, _, _ in PAYLOADS.values())):
            conn.execute(f"DELETE FROM {table} WHERE source = ? AND day = ?", [ROW_SOURCE, d])
        conn.execute("DELETE FROM quarantine WHERE source = ? AND stage = 'normalize' AND day = ?", [SOURCE, d])
        if files:
            _build(conn, files, tz, d, res)
    return res


def _quarantine(conn: duckdb.DuckDBPyConnection, select_sql: str, params: list) -> None:
    """select_sql yields (kind, file, byte_offset, line_no, day, reason, excerpt, state)."""
    conn.execute(f"INSERT INTO quarantine SELECT '{SOURCE}', 'normalize', *, now() FROM ({select_sql})", params)


def _quarantine_without_id(conn: duckdb.DuckDBPyConnection, prov: str, d: date, table: str, kind: str,
                           id_field: str) -> None:
    """The `kind` lines of staged `table` with a wrong-typed field or no session id, each with its reason."""
    _quarantine(conn, f"""SELECT CASE WHEN len(dr) > 0 THEN 'wrong_type' ELSE 'missing_field' END, {prov},
            CAST(? AS DATE),
            'CCC {kind} line: ' || CASE WHEN len(dr) > 0 THEN 'wrong type: ' || array_to_string(dr, '; ')
                                        ELSE 'missing field: {id_field}' END,
            left(CAST(j AS VARCHAR), 160), 'rejected'
        FROM {table} WHERE len(dr) > 0 OR session_id IS NULL""", [d])


def _build(conn: duckdb.DuckDBPyConnection, files: list[str], tz: str, d: date, res: CccResult) -> None:
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE ccc_lines AS
        SELECT file, byte_offset, line_no, part, ts, j, (j->>'$.type') AS type
        FROM (SELECT *, line::JSON AS j FROM read_parquet(?, hive_partitioning = false))
        WHERE CAST(timezone('{tz}', ts) AS DATE) = ?""", [files, d])
    res.lines = conn.execute("SELECT count(*) FROM ccc_lines").fetchone()[0]
    prov = "file, byte_offset, line_no"
    # -- turns
    tj = "(j->'$.turn')"
    turn_id = typed(tj, TURN_FIELDS[0])
    conn.execute(f"""INSERT INTO turns BY NAME
        SELECT coalesce({turn_id}, 'ccc:' || substr(md5(file || ':' || byte_offset || ':' || part), 1, 16)) AS turn_id,
               '{ROW_SOURCE}' AS source, CAST(? AS DATE) AS day, ts, {columns(tj, TURN_FIELDS[1:])},
               {provider_sql("NULL", "NULL", typed(tj, TURN_FIELDS[2]))} AS provider,
               {prov}, part,
               CASE WHEN len(dr) > 0 THEN dr END AS type_drift,
               CASE WHEN ex1 IS NULL THEN ex2 WHEN ex2 IS NULL THEN ex1 ELSE json_merge_patch(ex1, ex2) END AS extras
        FROM (SELECT *, list_concat({drift(tj, TURN_FIELDS, 'turn.')},
                                    CASE WHEN {turn_id} IS NULL THEN ['turn.turn_id:missing'] ELSE [] END,
                                    CASE WHEN json_type(j, '$.turn') <> 'OBJECT' THEN ['turn:' || json_type(j, '$.turn')]
                                         ELSE [] END) AS dr,
                     {extras(tj, top_keys(TURN_FIELDS))} AS ex1, {extras('j', TURN_LINE_KEYS)} AS ex2
              FROM ccc_lines WHERE type = 'turn')""", [d])
    # -- decisions attached to turn lines
    dj = "(j->'$.decision')"
    conn.execute(f"""INSERT INTO routing_decisions BY NAME
        SELECT '{ROW_SOURCE}' AS source, CAST(? AS DATE) AS day, ts, {typed(tj, TURN_FIELDS[0])} AS turn_id,
               {typed(tj, TURN_FIELDS[1])} AS session_id,
               'ccc:' || substr(md5(file || ':' || byte_offset || ':' || part), 1, 16) AS decision_id,
               {columns(dj, DECISION_FIELDS)}, {prov},
               CASE WHEN len({drift(dj, DECISION_FIELDS, 'decision.')}) > 0
                    THEN {drift(dj, DECISION_FIELDS, 'decision.')} END AS type_drift,
               {extras(dj, top_keys(DECISION_FIELDS))} AS extras
        FROM ccc_lines WHERE type = 'turn' AND json_type(j, '$.decision') = 'OBJECT'""", [d])
    _quarantine(conn, f"""SELECT 'wrong_type', {prov}, CAST(? AS DATE),
            'CCC turn line: decision: expected object, got ' || json_type(j, '$.decision'),
            left(CAST(j AS VARCHAR), 160), 'rejected'
        FROM ccc_lines WHERE type = 'turn' AND json_type(j, '$.decision') NOT IN ('OBJECT', 'NULL')""", [d])
    # -- feature / measurement / cost / value payloads: all-or-nothing per payload
    for key, (table, fields, required) in PAYLOADS.items():
        pj = f"(j->'$.{key}')"
        line_feature = typed("(j->'$.feature')", Field("feature_id", "feature_id", "str"))
        missing = ", ".join(f"CASE WHEN coalesce(json_type({pj}, '$.{f.path}'), 'NULL') = 'NULL' "
                            f"THEN '{key}.{f.path}: missing' END" for f in fields if f.col in required)
        miss_list = (f"list_filter([{missing}], x -> x IS NOT NULL)" if missing else "CAST([] AS VARCHAR[])")
        conn.execute(f"""CREATE OR REPLACE TEMP TABLE ccc_payload AS
            SELECT *, {columns(pj, fields)},
                   CASE WHEN json_type(j, '$.{key}') <> 'OBJECT' THEN ['{key}:' || json_type(j, '$.{key}')]
                        ELSE {drift(pj, fields, key + '.')} END AS dr,
                   CASE WHEN json_type(j, '$.{key}') = 'OBJECT' THEN {miss_list}
                        ELSE CAST([] AS VARCHAR[]) END AS miss,
                   {typed(tj, TURN_FIELDS[0])} AS turn_id, {typed(tj, TURN_FIELDS[1])} AS session_id,
                   {typed(tj, Field('model', 'model', 'str'))} AS turn_model,
                   {line_feature} AS line_feature_id,
                   {extras(pj, top_keys(fields))} AS payload_extras
            FROM ccc_lines WHERE type = 'turn' AND json_type(j, '$.{key}') IS NOT NULL
                                AND json_type(j, '$.{key}') <> 'NULL'""")
        _quarantine(conn, f"""SELECT CASE WHEN len(dr) > 0 THEN 'wrong_type' ELSE 'missing_field' END, {prov},
                CAST(? AS DATE),
                'CCC turn line {key}: ' || CASE WHEN len(dr) > 0 THEN 'wrong type: ' ELSE 'missing field: ' END
                    || array_to_string(list_concat(dr, miss), '; '),
                left(CAST(j AS VARCHAR), 160), 'rejected'
            FROM ccc_payload WHERE len(dr) > 0 OR len(miss) > 0""", [d])
        specific = {
            "features": "feature_id, spec_ref, status, notes",
            "measurements": "cls, impf, churn_score, feature_delta, errors, 'turn:' || coalesce(turn_id, '?') AS scope, "
                            "line_feature_id AS feature_id",
            "reported_costs": "provider, estimated_usd, unit_costs, turn_model AS model, ts",
            "value_records": "summary, links, evidence_refs, line_feature_id AS feature_id",
        }[table]
        conn.execute(f"""INSERT INTO {table} BY NAME
            SELECT '{ROW_SOURCE}' AS source, CAST(? AS DATE) AS day, session_id, turn_id, file, {specific},
                   payload_extras AS extras
            FROM ccc_payload WHERE len(dr) = 0 AND len(miss) = 0""", [d])
    # -- sessions
    sj, ej = "(j->'$.session')", "j"
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE ccc_sessions AS
        SELECT *, {columns(sj, SESSION_FIELDS)}, {drift(sj, SESSION_FIELDS, 'session.')} AS dr,
               {extras(sj, top_keys(SESSION_FIELDS))} AS sx
        FROM ccc_lines WHERE type = 'session'""")
    _quarantine_without_id(conn, prov, d, "ccc_sessions", "session", "session.session_id")
    conn.execute(f"""CREATE OR REPLACE TEMP TABLE ccc_ends AS
        SELECT *, {columns(ej, END_FIELDS)}, {drift(ej, END_FIELDS)} AS dr,
               {extras(ej, ['type', *top_keys(END_FIELDS)])} AS ex
        FROM ccc_lines WHERE type = 'session_end'""")
    _quarantine_without_id(conn, prov, d, "ccc_ends", "session_end", "session_id")
    conn.execute(f"""INSERT INTO sessions BY NAME
        WITH hdr AS (
            SELECT session_id, arg_min(repo_id, byte_offset) AS repo_id, arg_min(branch, byte_offset) AS branch,
                   arg_min("commit", byte_offset) AS "commit", arg_min(license_id, byte_offset) AS license_id,
                   arg_min(privacy_tier, byte_offset) AS privacy_tier, arg_min(created_at, byte_offset) AS created_at,
                   arg_min(metadata, byte_offset) AS metadata, arg_min(sx, byte_offset) AS extras,
                   arg_min(file, byte_offset) AS file, min(byte_offset) AS byte_offset, min(line_no) AS line_no
            FROM ccc_sessions WHERE len(dr) = 0 AND session_id IS NOT NULL GROUP BY 1
        ), prior AS (
            SELECT session_id, arg_max(repo_id, day) AS repo_id, arg_max(branch, day) AS branch,
                   arg_max("commit", day) AS "commit", arg_max(license_id, day) AS license_id,
                   arg_max(privacy_tier, day) AS privacy_tier, arg_max(created_at, day) AS created_at,
                   arg_max(metadata, day) AS metadata
            FROM sessions WHERE source = '{ROW_SOURCE}' AND day < ? GROUP BY 1
        ), ends AS (
            SELECT session_id, max(ended_at) AS ended_at, max(features_completed) AS features_completed,
                   max(interaction_minutes) AS interaction_minutes, max(turns) AS end_turns, any_value(ex) AS ex
            FROM ccc_ends WHERE len(dr) = 0 AND session_id IS NOT NULL GROUP BY 1
        ), act AS (
            SELECT session_id, min(ts) AS first_ts, max(ts) AS last_ts FROM (
                SELECT session_id, ts FROM ccc_sessions WHERE session_id IS NOT NULL
                UNION ALL SELECT session_id, ts FROM turns WHERE source = '{ROW_SOURCE}' AND day = ?
                UNION ALL SELECT session_id, ts FROM ccc_ends WHERE session_id IS NOT NULL)
            WHERE session_id IS NOT NULL GROUP BY 1
        ), t AS (
            SELECT session_id, count(*) AS turns, list_sort(list_distinct(list(model))) AS models,
                   count(DISTINCT subagent) FILTER (WHERE subagent IS NOT NULL AND subagent <> 'main') AS subagents
            FROM turns WHERE source = '{ROW_SOURCE}' AND day = ? GROUP BY 1
        )
        SELECT a.session_id, '{ROW_SOURCE}' AS source, CAST(? AS DATE) AS day,
               coalesce(h.repo_id, p.repo_id) AS repo_id, coalesce(h.branch, p.branch) AS branch,
               coalesce(h."commit", p."commit") AS "commit", coalesce(h.license_id, p.license_id) AS license_id,
               coalesce(h.privacy_tier, p.privacy_tier) AS privacy_tier,
               coalesce(h.created_at, p.created_at) AS created_at, coalesce(h.metadata, p.metadata) AS metadata,
               CAST(coalesce(h.metadata, p.metadata)->>'$.cwd' AS VARCHAR) AS cwd,
               CAST(coalesce(h.metadata, p.metadata)->>'$.version' AS VARCHAR) AS version,
               a.first_ts, a.last_ts, coalesce(t.turns, 0) AS turns, t.models, t.subagents,
               e.ended_at, e.features_completed, e.interaction_minutes, h.file, h.byte_offset, h.line_no,
               CASE WHEN h.extras IS NULL AND e.ex IS NULL AND e.end_turns IS NULL THEN NULL
                    ELSE json_merge_patch(coalesce(h.extras, '{{}}'::JSON),
                         json_object('session_end', json_merge_patch(coalesce(e.ex, '{{}}'::JSON),
                                                                     json_object('turns', e.end_turns)))) END AS extras
        FROM act a LEFT JOIN hdr h USING (session_id) LEFT JOIN prior p USING (session_id)
             LEFT JOIN ends e USING (session_id) LEFT JOIN t USING (session_id)""", [d, d, d, d])
    # -- unknown line types
    known = ", ".join(f"'{t}'" for t in LINE_TYPES)
    for typ, n in conn.execute(f"SELECT coalesce(type, '(none)'), count(*) FROM ccc_lines "
                               f"WHERE type IS NULL OR type NOT IN ({known}) GROUP BY 1").fetchall():
        res.unknown_types[typ] = n
    _quarantine(conn, f"""SELECT 'unknown_type', {prov}, CAST(? AS DATE),
            'unknown CCC line type ''' || coalesce(type, '(none)') || ''': counted and skipped',
            left(CAST(j AS VARCHAR), 160), 'skipped'
        FROM ccc_lines WHERE type IS NULL OR type NOT IN ({known})""", [d])
    for table in ("turns", "sessions", "routing_decisions", *(t for t, _, _ in PAYLOADS.values())):
        res.rows[table] = conn.execute(f"SELECT count(*) FROM {table} WHERE source = ? AND day = ?",
                                       [ROW_SOURCE, d]).fetchone()[0]
    res.drifted = conn.execute("SELECT count(type_drift) FROM turns WHERE source = ? AND day = ?",
                               [ROW_SOURCE, d]).fetchone()[0]
    res.quarantined = conn.execute("SELECT count(*) FROM quarantine WHERE source = ? AND stage = 'normalize' "
                                   "AND day = ?", [SOURCE, d]).fetchone()[0]
