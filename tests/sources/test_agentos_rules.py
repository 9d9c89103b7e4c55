"""AgentOS ledgers written by hand: the capacity rule, supersede across days, wrong types, extras, warts."""

from __future__ import annotations

import json
from datetime import date

from tests.helpers import materialize_all, query


def window(wid: str, finalized: str, provider: str, delta: dict, features: int = 1, **extra) -> dict:
    before = {k: 10 for k in delta}
    after = {k: 10 + v if isinstance(v, int) else v for k, v in delta.items()}
    rec = {"window": wid, "finalized_at": finalized, "features": {provider: features},
           "providers": {provider: {"before": {**before, "errors": []}, "after": {**after, "errors": []},
                                    "delta": delta, "captured_at": {"before": finalized, "after": finalized},
                                    "notes": [], "errors": []}}}
    rec.update(extra)
    return rec


def dumps(*objs: dict) -> str:
    return "".join(json.dumps(o) for o in objs)


def test_capacity_rule_supersede_and_duplicates(empty_agentos):
    live = empty_agentos / "live"
    live.mkdir()
    recs = [
        window("W-reset", "2026-01-05T12:00:00+00:00", "codex", {"fiveh_pct": -81, "weekly_pct": 6}, quality_score=0.9),
        window("W-nofive", "2026-01-05T12:10:00+00:00", "claude", {"all_models_pct": 4}),
        window("W-claude", "2026-01-05T13:00:00+00:00", "claude", {"session_pct": 7, "all_models_pct": 2}, features=2),
        window("W-glm", "2026-01-05T14:00:00+00:00", "glm", {"prompts_used": 42}),
        window("W-glm2", "2026-01-05T15:00:00+00:00", "glm", {}),
        window("W-fix", "2026-01-05T20:00:00+00:00", "codex", {"fiveh_pct": 3, "weekly_pct": 1}, notes="early"),
    ]
    dup = window("W-dup", "2026-01-05T21:00:00+00:00", "codex", {"fiveh_pct": 2, "weekly_pct": 1})
    corrected = window("W-fix", "2026-01-06T01:00:00+00:00", "codex", {"fiveh_pct": 9, "weekly_pct": 3},
                       notes="corrected next day")
    lines = [json.dumps(r) for r in recs] + [json.dumps(dup), json.dumps(dup), json.dumps(corrected)]
    (live / "windows.jsonl").write_text("\n".join(lines) + "\n")
    (empty_agentos / "glm_counts.jsonl").write_text(json.dumps(
        {"window": "W-glm2", "provider": "glm", "captured_at": "2026-01-05T15:01:00+00:00", "prompts_used": 17.0,
         "parsed": {"prompts_used": 17.0, "blocks": [], "errors": []}, "source": "ingest"}) + "\n")
    assert materialize_all().success
    got = {r[0]: r[1:] for r in query("""SELECT "window", capacity_raw, capacity_unit, errors, quality_score, features
                                         FROM windows WHERE NOT superseded""")}
    assert got["W-reset"][:2] == (6.0, "pp")
    assert any("5-hour delta negative (-81" in e and "weekly_pct used" in e for e in got["W-reset"][2])
    assert got["W-reset"][3] == 0.9
    assert got["W-nofive"][:2] == (4.0, "pp") and any("5-hour delta missing" in e for e in got["W-nofive"][2])
    assert got["W-claude"][:2] == (7.0, "pp") and got["W-claude"][4] == 2
    assert got["W-glm"][:2] == (42.0, "prompts")
    assert got["W-glm2"][:2] == (17.0, "prompts")  # from glm_counts.jsonl
    assert "quality_score: not recorded, 1.0 assumed" in got["W-glm"][2] and got["W-glm"][3] == 1.0
    # exact duplicate: counts once, the copy stays as history flagged duplicate
    assert query("""SELECT superseded, duplicate FROM windows WHERE "window" = 'W-dup' ORDER BY byte_offset""") == [
        (False, False), (True, True)]
    # the next day's correction retires the first day's record, which stays queryable
    assert query("""SELECT day, superseded, capacity_raw, notes FROM windows WHERE "window" = 'W-fix'
                    ORDER BY finalized_at""") == [
        (date(2026, 1, 5), True, 3.0, "early"), (date(2026, 1, 6), False, 9.0, "corrected next day")]


def test_wrong_types_are_quarantined_naming_the_field_and_unknown_fields_kept(empty_agentos):
    good = window("W-ok", "2026-01-05T12:00:00+00:00", "codex", {"fiveh_pct": 3}, future_field={"a": 1})
    bad = window("W-bad", "2026-01-05T12:30:00+00:00", "codex", {"fiveh_pct": "5"})
    churn_ok = {"window": "W-ok", "provider": "codex", "commit_start": "a", "commit_end": "b", "files_changed": 2,
                "insertions": 10, "deletions": 4, "net": 6, "features": 1, "normalized_churn": 6.0,
                "captured_at": "2026-01-05T12:01:00+00:00", "reviewer": "x"}
    churn_bad = {**churn_ok, "insertions": "51", "captured_at": "2026-01-05T12:02:00+00:00"}
    (empty_agentos / "windows.jsonl").write_text("\n".join(json.dumps(r) for r in (good, bad)) + "\n")
    (empty_agentos / "churn.jsonl").write_text("\n".join(json.dumps(r) for r in (churn_ok, churn_bad)) + "\n")
    outcome = materialize_all()
    assert outcome.success  # 2 bad lines of 4: too few lines for the quarantine share to be judged
    q = query("SELECT kind, reason, line_no, state FROM quarantine ORDER BY reason")
    assert len(q) == 2 and all(k == "wrong_type" and s == "rejected" for k, _, _, s in q)
    assert "insertions: expected integer, got string" in q[0][1] and q[0][2] == 2
    assert "providers.codex.delta.fiveh_pct: expected number, got string" in q[1][1] and q[1][2] == 2
    assert query("""SELECT "window" FROM windows""") == [("W-ok",)]
    assert json.loads(query("SELECT extras FROM windows")[0][0]) == {"future_field": {"a": 1}}
    assert json.loads(query("SELECT extras FROM churn_records")[0][0]) == {"reviewer": "x"}
    assert outcome.materialized["normalized_agentos"]["metadata"]["quarantined"] == 2


def test_glued_records_split_and_a_truncated_last_line_waits(empty_agentos):
    a = window("W-a", "2026-01-05T12:00:00+00:00", "codex", {"fiveh_pct": 3})
    b = window("W-b", "2026-01-05T13:00:00+00:00", "codex", {"fiveh_pct": 4})
    c = window("W-c", "2026-01-05T14:00:00+00:00", "codex", {"fiveh_pct": 5})
    path = empty_agentos / "windows.jsonl"
    full_c = json.dumps(c)
    path.write_text(dumps(a, b) + "{}\n" + full_c[:40])
    assert materialize_all().success
    assert query("""SELECT "window" FROM windows ORDER BY 1""") == [("W-a",), ("W-b",)]
    assert query("SELECT kind, state FROM quarantine") == [("truncated", "held")]
    path.write_text(dumps(a, b) + "{}\n" + full_c + "\n")  # the writer finished the line
    assert materialize_all(start="2026-01-05", end="2026-01-05").success
    assert query("""SELECT "window" FROM windows ORDER BY 1""") == [("W-a",), ("W-b",), ("W-c",)]
    assert query("SELECT count(*) FROM quarantine")[0][0] == 0
