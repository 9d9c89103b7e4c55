"""The CCC client's unified event log: every payload lands in its v1 table; warts and wrong types."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema

from tests.conftest import FIXTURES
from tests.helpers import materialize_all, query
from tests.sources.gen import ccc_session, write_jsonl

SCHEMAS = FIXTURES / "schemas-v1-agentos"
OURS = Path(__file__).resolve().parents[2] / "schemas" / "v1"
PAYLOAD_SCHEMA = {"session": "session", "turn": "turn", "feature": "feature", "measurement": "measurement",
                  "cost": "cost", "value": "value", "decision": "decision"}


def test_inputs_are_valid_agentos_v1_payloads_and_stay_valid_in_ours():
    """The log the tests write is what the client writes: every payload validates against AgentOS v1, and
    against our schemas/v1 (which may only add optional fields)."""
    for line in ccc_session("s1", datetime(2026, 1, 5, 10, tzinfo=UTC)):
        for key, name in PAYLOAD_SCHEMA.items():
            if key in line:
                jsonschema.validate(line[key], json.loads((SCHEMAS / f"{name}.json").read_text()))
                jsonschema.validate(line[key], json.loads((OURS / f"{name}.json").read_text()))


def test_every_payload_lands_in_its_table(empty_agentos):
    evs = ccc_session("s1", datetime(2026, 1, 5, 10, tzinfo=UTC)) + ccc_session(
        "s2", datetime(2026, 1, 5, 23, 58, tzinfo=UTC), turns=2)
    write_jsonl(empty_agentos / "ccc" / "ccc_events.jsonl", evs)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome and outcome.failures
    counts = dict(query("""SELECT 'turns', count(*) FROM turns WHERE source = 'ccc'
        UNION ALL SELECT 'features', count(*) FROM features WHERE source = 'ccc'
        UNION ALL SELECT 'measurements', count(*) FROM measurements WHERE source = 'ccc'
        UNION ALL SELECT 'costs', count(*) FROM reported_costs WHERE source = 'ccc'
        UNION ALL SELECT 'values', count(*) FROM value_records WHERE source = 'ccc'
        UNION ALL SELECT 'decisions', count(*) FROM routing_decisions WHERE source = 'ccc'"""))
    assert counts == {"turns": 5, "features": 2, "measurements": 2, "costs": 5, "values": 2, "decisions": 2}
    assert query("SELECT count(*) FROM quarantine")[0][0] == 0
    assert query("SELECT DISTINCT provider FROM turns WHERE source = 'ccc'") == [("anthropic",)]
    # s2 starts before midnight and ends after: a session-day on each day, the header carried over
    s2 = query("""SELECT CAST(day AS VARCHAR), repo_id, branch, turns, ended_at IS NOT NULL, features_completed
                  FROM sessions WHERE session_id = 's2' ORDER BY day""")
    assert s2 == [("2026-01-05", "ledger", "main", 1, False, None), ("2026-01-06", "ledger", "main", 1, True, 1)]
    s1 = query("""SELECT turns, interaction_minutes, version, cwd, privacy_tier, models FROM sessions
                  WHERE session_id = 's1'""")
    assert s1 == [(3, 4.5, "2.1.39", "/w/ledger", "local", ["claude-opus-4-6"])]
    assert query("SELECT feature_id, spec_ref, status, turn_id FROM features WHERE session_id = 's1'") == [
        ("csv-export", "features/export.feature:2", "implemented", "s1-t2")]
    assert query("SELECT scope, feature_id, impf FROM measurements WHERE session_id = 's1'") == [
        ("turn:s1-t2", "csv-export", 3.5)]
    assert query("SELECT reroute_mode, warn_pct_cfg, turn_id FROM routing_decisions WHERE session_id = 's1'") == [
        ("hybrid", 0.8, "s1-t2")]
    meta = outcome.materialized["normalized_ccc_events"]["metadata"]
    assert meta["rows"] == sum(meta["rows_by_table"].values()) and meta["quarantined"] == 0


def test_glued_truncated_wrong_types_unknown_types_and_extras(empty_agentos):
    evs = ccc_session("s1", datetime(2026, 1, 5, 10, tzinfo=UTC))
    evs[2]["turn"]["tokens_in"] = "1001"           # a number as a string in a turn: NULL + type_drift
    evs[3]["feature"]["status"] = 3                 # a wrong type in a feature: that payload is quarantined
    evs[3]["cost"].pop("estimated_usd")             # a required field missing: quarantined
    evs[3]["annotation"] = {"by": "reviewer"}       # unknown line field: kept with the turn
    evs[1]["turn"]["speculative"] = True            # unknown payload field: kept
    evs.append({"type": "hologram", "ts": "2026-01-05T12:00:00Z"})
    tail = json.dumps({"type": "turn", "ts": "2026-01-05T12:30:00Z", "turn": {"turn_id": "late"}})[:30]
    write_jsonl(empty_agentos / "ccc_events.jsonl", evs, glue_every=3, tail=tail)
    outcome = materialize_all()
    # the number-as-string is NULL + named here, and the day's blocking turns check calls it drift (issue 4)
    drift = [c for c in outcome.checks if not c["passed"] and c["partition"]]
    assert [c["check"] for c in drift] == ["turns_suite"] and "turn.tokens_in:VARCHAR" in drift[0]["metadata"]["summary"]
    assert query("SELECT turn_id, tokens_in, type_drift FROM turns WHERE type_drift IS NOT NULL") == [
        ("s1-t1", None, ["turn.tokens_in:VARCHAR"])]
    extras = dict(query("SELECT turn_id, extras FROM turns WHERE extras IS NOT NULL"))
    assert json.loads(extras["s1-t0"]) == {"speculative": True}
    assert json.loads(extras["s1-t2"]) == {"annotation": {"by": "reviewer"}}
    q = sorted(query("SELECT kind, state, reason FROM quarantine"))
    assert [(k, s) for k, s, _ in q] == [("missing_field", "rejected"), ("truncated", "held"),
                                          ("unknown_type", "skipped"), ("wrong_type", "rejected")]
    assert "cost.estimated_usd: missing" in q[0][2] and "hologram" in q[2][2]
    assert "feature.status:UBIGINT" in q[3][2]
    # the rest of that line still counts
    assert query("SELECT count(*) FROM features")[0][0] == 0
    assert query("SELECT count(*) FROM measurements WHERE turn_id = 's1-t2'")[0][0] == 1
    assert query("SELECT count(*) FROM reported_costs")[0][0] == 2
    assert query("SELECT count(*) FROM turns")[0][0] == 3 and query("SELECT day FROM turns LIMIT 1")[0][0] == date(
        2026, 1, 5)
