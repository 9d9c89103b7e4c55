"""AgentOS landed lines -> `windows`, `glm_counts`, `churn_records`, `meter_snapshots`, `codex_usage`,
`proxy_telemetry` and (old-style proxy samples) `turns` rows for one day. This module reads the day's lines,
writes the rows and keeps the supersede flags; the mapping is split by mechanism: window records
(windows.py), side-ledger lines (ledgers.py), exported whole-JSON captures
(documents.py).

Windows (METRICS.md):
- One row per record and provider (`providers.<p>`; a provider with features but no meter gets a row
  with no capacity and says so in `errors`). `day` is finalized_at's day in CCP_TIMEZONE.
- Capacity: the recorded 5-hour delta (`fiveh_pct` for Codex, `session_pct` for Claude), unit 'pp';
  when it is missing or negative (the bar reset inside the window) the weekly delta (`weekly_pct`,
  `all_models_pct`) is used and `errors` says so. GLM: `prompts_used` (the window's own delta, else the
  latest glm_counts record of the same window), unit 'prompts'.
- quality_score: `quality_score` when recorded, else `quality`, else 1.0 with the gap in `errors`
  (`quality_source` tells which; the churn-based fallback is the measurement layer's job).
- Supersede rule: records are append-only with corrections. Per window id the record with the latest
  finalized_at wins (a tie goes to the later line); an exact duplicate (same canonical JSON) counts once
  (the first copy; later copies have `duplicate` = true). Every other row stays as history with
  `superseded` = true. The flags are recomputed over the whole table after each day, so a correction
  landing on a later day also retires the earlier day's row.
Side ledgers: glm_counts and codex_usage keep the latest capture per window / (scope, period) as
current, churn_records the latest per (window, provider); earlier captures stay with `superseded`.

A record with a field of the wrong JSON type (or without `window` / `finalized_at` on a window) is
quarantined (stage normalize, kind wrong_type / missing_field) with every offending field named;
fields nobody maps are kept in `extras`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from ccp_assets.settings import Settings
from ccp_assets.sources.agentos.adapter import ledger_of
from ccp_assets.sources.agentos.documents import document
from ccp_assets.sources.agentos.ledgers import HANDLERS, PROXY_TURN_SOURCE, SOURCE
from ccp_assets.sources.agentos.windows import window_rows
from ccp_assets.sources.landing import day_files
from ccp_assets.sources.pyrecords import Line, Quarantine, Typed, insert_rows, read_lines
from ccp_assets.warehouse.tx import transaction

SIDE_TABLES = ("glm_counts", "churn_records", "meter_snapshots", "codex_usage", "proxy_telemetry")


@dataclass
class AgentOsResult:
    day: str
    lines: int = 0
    ledgers: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    windows_current: int = 0


Rows = dict[str, list[dict[str, Any]]]


def normalize_day(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str) -> AgentOsResult:
    """Replace this day's AgentOS rows in every ledger table (idempotent), then refresh supersede flags."""
    res = AgentOsResult(day)
    d = date.fromisoformat(day)
    lines = [ln for ln in read_lines(conn, day_files(settings, SOURCE, [day]), settings.timezone.replace("'", ""))
             if ln.day == d]
    q = Quarantine(SOURCE)
    rows: Rows = {t: [] for t in ("windows", "turns", "routing_decisions", *SIDE_TABLES)}
    window_recs: list[tuple[Line, dict]] = []
    seen_exports: set[str] = set()
    for line in lines:
        res.lines += 1
        obj = line.json()
        if isinstance(obj, dict) and obj.get("ccp_export") == "document":
            if obj.get("export_key") in seen_exports:
                continue
            seen_exports.add(obj.get("export_key"))
            kind = f"doc:{obj.get('doc_kind')}"
            res.ledgers[kind] = res.ledgers.get(kind, 0) + 1
            document(obj, line, rows, q)
            continue
        ledger = ledger_of(line.file)
        res.ledgers[ledger] = res.ledgers.get(ledger, 0) + 1
        if ledger == "windows":
            window_recs.append((line, obj))
            continue
        handler = HANDLERS[ledger]
        t = Typed(obj)
        out = handler(t, obj, line)
        if t.problems:
            q.wrong_type(line, t.problems, f"AgentOS {ledger} record")
            continue
        for table, row in out:
            rows[table].append(row)
    with transaction(conn):
        conn.execute("DELETE FROM windows WHERE source = ? AND day = ?", [SOURCE, d])
        for table in ("turns", "routing_decisions"):
            conn.execute(f"DELETE FROM {table} WHERE source = ? AND day = ?", [PROXY_TURN_SOURCE, d])
        for table in SIDE_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE source = ? AND day = ?", [SOURCE, d])
        conn.execute("DELETE FROM quarantine WHERE source = ? AND stage = 'normalize' AND day = ?", [SOURCE, d])
        for table in SIDE_TABLES:
            res.rows[table] = insert_rows(conn, table, rows[table])
        glm = _glm_prompts(conn)
        for line, obj in window_recs:
            t = Typed(obj)
            out = window_rows(t, obj, line, glm)
            if t.problems:
                q.wrong_type(line, t.problems, "AgentOS windows record")
                continue
            rows["windows"].extend(out)
        res.rows["windows"] = insert_rows(conn, "windows", rows["windows"])
        res.rows["turns"] = insert_rows(conn, "turns", rows["turns"])
        res.rows["routing_decisions"] = insert_rows(conn, "routing_decisions", rows["routing_decisions"])
        refresh_superseded(conn)
        fill_from_churn(conn)
        res.quarantined = q.flush(conn)
        res.windows_current = conn.execute(
            "SELECT count(*) FROM windows WHERE source = ? AND day = ? AND NOT superseded", [SOURCE, d]).fetchone()[0]
    return res


def refresh_superseded(conn: duckdb.DuckDBPyConnection) -> None:
    """Recompute the supersede flags of every AgentOS table over all days (the ledgers are small)."""
    conn.execute(f"""
        WITH rec AS (
            SELECT DISTINCT "window", record_hash, file, byte_offset, finalized_at FROM windows WHERE source = '{SOURCE}'
        ), canon AS (
            SELECT *, row_number() OVER (PARTITION BY "window", record_hash ORDER BY file, byte_offset) AS occ FROM rec
        ), winner AS (
            SELECT "window", record_hash, file, byte_offset, row_number() OVER (
                PARTITION BY "window" ORDER BY finalized_at DESC, file DESC, byte_offset DESC) AS rk
            FROM canon WHERE occ = 1
        ), flags AS (
            SELECT c."window", c.record_hash, c.file, c.byte_offset, c.occ > 1 AS dup,
                   NOT (c.occ = 1 AND w.rk = 1) AS sup
            FROM canon c LEFT JOIN winner w USING ("window", record_hash, file, byte_offset)
        )
        UPDATE windows SET duplicate = flags.dup, superseded = flags.sup FROM flags
        WHERE windows.source = '{SOURCE}' AND windows."window" = flags."window"
          AND windows.record_hash = flags.record_hash AND windows.file = flags.file
          AND windows.byte_offset IS NOT DISTINCT FROM flags.byte_offset""")
    for table, key in (("glm_counts", '"window"'), ("churn_records", '"window", provider'),
                       ("codex_usage", "scope, period")):
        conn.execute(f"""
            WITH r AS (
                SELECT rowid AS rid, row_number() OVER (PARTITION BY {key}
                    ORDER BY captured_at DESC NULLS LAST, file DESC, byte_offset DESC NULLS LAST) AS rk
                FROM {table} WHERE source = '{SOURCE}'
            )
            UPDATE {table} SET superseded = r.rk > 1 FROM r WHERE {table}.rowid = r.rid""")


def fill_from_churn(conn: duckdb.DuckDBPyConnection) -> None:
    """A window record without `methodology` / `commit_range` takes them from the current churn record of the same
    window and provider (the tracker writes them there: methodology, commit_start..commit_end), over all days."""
    conn.execute(f"""
        UPDATE windows w SET methodology = coalesce(w.methodology, c.methodology),
               commit_range = coalesce(w.commit_range, c.commit_start || '..' || c.commit_end)
        FROM churn_records c
        WHERE w.source = '{SOURCE}' AND c.source = '{SOURCE}' AND NOT c.superseded AND c."window" = w."window"
          AND c.provider = w.provider AND (w.methodology IS NULL OR w.commit_range IS NULL)""")


def _glm_prompts(conn: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Latest GLM prompts_used per window over every glm_counts row the warehouse holds."""
    return dict(conn.execute("""SELECT "window", arg_max(prompts_used, captured_at) FROM glm_counts
        WHERE "window" IS NOT NULL AND prompts_used IS NOT NULL GROUP BY 1""").fetchall())
