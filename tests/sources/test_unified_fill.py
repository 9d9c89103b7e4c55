"""Unified entities filled from real sources (issue 13): the real Claude Code fixture transcripts, with CCP_REPO_DIR a
git repository built here for their project (`spotter`: master, and the branch `spotter-dov` of the worktree session)
with a JUnit report, a BDD feature file, a fix commit and a merged pull request, and a real signed license; and the
real AgentOS ledgers (fixtures/agentos). Two Dagster runs: the AgentOS days (2025-10-18..20), the Claude Code days.
Every entity table is audited: each field is filled on every row, or listed below with the reason it stays null.

Fixture sessions (cwd, gitBranch, last activity):
  55604662 short.jsonl        /home/marco/projects/spotter                      master       2026-02-10 21:16:12
  491e126e subagent.jsonl     /home/marco/projects/spotter                      master       2026-02-10 22:03:51
  d6e0bada tool_heavy.jsonl   /home/marco/projects/spotter                      master       2026-02-10 22:59:46
  4d5611e5 (+ subagents)      /home/USER/projects/spotter-worktrees/spotter-dov spotter-dov  2026-02-12 21:03:34
None of these directories exists here: the sessions are the repository's by its name (`spotter`) and by its branch.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from typing import Any

import pytest

from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, sign_envelope
from ccp_assets.model.v1 import Commit, Decision, Feature, Measurement, Session, Turn, Value, Window
from tests.conftest import CLAUDE_FIXTURE, FIXTURES, _copy_tree
from tests.helpers import materialize_all, query
from tests.measurements.conftest import commit, git, isolated_env, utc
from tests.sources.conftest import FIXTURE_MTIME

JUNIT = ('<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest" tests="3" failures="1" '
         'timestamp="2026-02-12T21:30:00Z">'
         '<testcase classname="t.test_q" name="test_query" time="0.1"/>'
         '<testcase classname="t.test_q" name="test_empty" time="0.1"/>'
         '<testcase classname="t.test_q" name="test_slow" time="0.1"><failure message="slow">E</failure></testcase>'
         '</testsuite></testsuites>\n')
FEATURE = "@id:query-screen\nFeature: Query screen\n\n  Scenario: Query\n    Given a query\n\n  Scenario: Empty\n    Given none\n"

# Fields that stay null, and why; every other field of the entity is non-null on every fixture row.
SESSION_NULL = {
    "metadata": "Claude Code writes no session metadata object (the CCC client's session line does)",
    "ended_at": "a session end as a client reports it (CCC session_end); a transcript has no end event",
    "features_completed": "the CCC client's session_end count; a transcript does not say which features it completed",
    "byte_offset": "a session-day aggregates many lines: its provenance is its file (transcript), not one line",
    "line_no": "as byte_offset",
}
PROXY_ONLY = "the CCP proxy's own fields: no proxy log on these fixtures (unified_turns carries them when one matched)"
TURN_NULL = {
    "subagent": "null on the main thread by definition",
    "attribution": "which feature a call served: no source records it per call",
    "capacity_used": "capacity (Δpp, prompts) is measured per AgentOS window, not per API call",
    **dict.fromkeys(("lane", "upstream", "status", "op", "ttft_ms", "rid", "event", "err_type", "reason", "stream_ms",
                     "retry", "wasted_retry_ms", "status_text", "decision", "decision_reason"), PROXY_ONLY),
    "part": "index of an object within a glued line (proxy, AgentOS); transcript lines hold one object each",
    "type_drift": "null when no field drifted: these fixtures have none",
}
VALUE_NULL = {
    "links": "a JUnit report is a local file: nothing to link to (commit and PR rows link to the origin remote)",
    "session_id": "repository value is per commit or test report, not tied to a session",
    "turn_id": "as session_id",
    "feature_id": "a commit, or a report whose test cases name no feature_id, names no feature",
    "file": "a commit's evidence is its sha (evidence_refs), not a file",
}

NOT_IN_CAPTURE = "the proxy wrote no such field on the captured decision lines (W0-MITM-1's raw_text)"
DECISION_NULL = {
    **dict.fromkeys(("reroute_mode", "reroute_decision", "preferred_attempt", "warn_pct_auto", "warn_pct_confidence",
                     "gap_seconds_p50", "gap_seconds_p95", "gap_samples", "warn_pct_cfg", "decision_reason",
                     "headroom_pct_rolling", "headroom_pct_weekly", "cooldown_active", "wasted_retry_ms",
                     "cooldown_next_ts", "rolling_used_tokens", "rolling_capacity_tokens", "weekly_used_tokens",
                     "weekly_capacity_tokens", "session_id"), NOT_IN_CAPTURE),
    "outcome_turn_id": "the capture's completions are a sample, not counted calls: no turn to point at",
    "turn_id": "a client-side (CCC) link to the turn it routed; the proxy has none",
    "type_drift": "null when no field drifted: these lines have none",
}
WINDOW_NULL = {
    "errors": "null when a record has nothing to name (a recorded quality, a meter with a delta)",
    "outcome": "the tracker's dry run W0-TEST records none",
    "methodology": "W0-21, W0-21C and W0-TEST record none and have no churn record to take it from",
    "commit_range": "as methodology",
    "schema_version": "the experiment-001 windows (W0-21, W0-21C) and the dry run predate the field",
    "tool_version": "as schema_version",
}
MEASUREMENT_NULL = {
    **dict.fromkeys(("cls", "impf", "churn_score", "feature_delta"),
                    "undefined for the row's scope and day; each null is named in that row's errors (test below)"),
    "session_id": "set on session-scope rows only",
    "feature_id": "set on feature-scope rows only",
    "turn_id": "no measurement is per API call",
    "file": "computed from warehouse tables, not read from a file",
    "errors": "null when every metric of the row could be computed",
}
FEATURE_NULL = {
    "notes": "a note on a feature is the CCC client's (feature.notes); a .feature file has none",
    "session_id": "a feature file and a JUnit report name no session",
    "turn_id": "as session_id",
    "errors": "null when nothing is missing: both scenarios have a passing test on main",
}
SAMPLE = "the tracker's old-style proxy lines (proxy/telemetry_sample.jsonl) write only ts, rid, lane, model, status, "\
         "tokens in/out, reason and latency"
PROXY_SAMPLE_TURN_NULL = {
    **dict.fromkeys(("session_id", "request_id", "input_kind", "cache_creation_tokens", "cache_creation_5m_tokens",
                     "cache_creation_1h_tokens", "cache_read_tokens", "service_tier", "version", "upstream", "op",
                     "ttft_ms", "err_type", "stream_ms", "retry", "wasted_retry_ms"), SAMPLE),
    **dict.fromkeys(("message_id", "subagent", "is_sidechain", "embedded", "transcript_id"),
                    "a transcript's fields (message, subagent, file): a proxy line has none"),
    "status": "R3's baseline line writes status as the word 'error' (kept in status_text, the turn is an API error)",
    "attribution": TURN_NULL["attribution"], "capacity_used": TURN_NULL["capacity_used"],
    **dict.fromkeys(("decision", "decision_reason"), "no decision line of the same rid in the sample"),
    "type_drift": "null when no field drifted: these lines have none",
}
EMPTY_TABLES = {"reported_costs": "a cost reported by a client (CCC turn.cost): no CCC event log on the fixtures; "
                                  "costs are computed (turn_costs, cost_daily)"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unified")
    _copy_tree(CLAUDE_FIXTURE, tmp / "claude")
    repo = tmp / "spotter"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    git(repo, "remote", "add", "origin", "git@github.com:team/spotter.git")
    shas = {"c1": commit(repo, {"README.txt": "spotter\n"}, utc(2026, 2, 9, 10), "Initial import")}
    shas["c2"] = commit(repo, {"parser.txt": "p\n"}, utc(2026, 2, 10, 21, 30), "fix: parser crash on an empty line")
    git(repo, "checkout", "-q", "-b", "spotter-dov")
    shas["c3"] = commit(repo, {"query.txt": "q\n"}, utc(2026, 2, 12, 15), "dov: add the query screen")
    shas["c4"] = commit(repo, {"query.txt": "q2\n", "features/query.feature": FEATURE}, utc(2026, 2, 12, 20),
                        "dov: wire the query screen")
    git(repo, "checkout", "-q", "master")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #7 from team/spotter-dov", "spotter-dov",
        when=utc(2026, 2, 12, 22))
    shas["merge"] = git(repo, "rev-parse", "HEAD")
    (repo / "reports").mkdir()
    (repo / "reports" / "junit.xml").write_text(JUNIT)

    key_path, pub_path = keygen("unified-test", tmp / "operator")
    body = build_license("unified-test", "pro", ["telemetry_minimized", "telemetry_full"], 30, now=time.time() - 60)
    body["license_id"] = "lic-unified-1"
    (tmp / "license.pack").write_text(json.dumps(sign_envelope("license", body, load_private_key(key_path))))

    agentos = shutil.copytree(FIXTURES / "agentos", tmp / "agentos")
    for p in [agentos, *agentos.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
        if p.is_file():
            os.utime(p, (FIXTURE_MTIME, FIXTURE_MTIME))

    with isolated_env(tmp, {"CLAUDE_CONFIG_DIR": str(tmp / "claude"), "CCP_REPO_DIR": str(repo),
                            "CCP_LICENSE_PACK": str(tmp / "license.pack"), "CCP_TRUSTED_KEYS": str(pub_path),
                            "CCP_PRIVACY_TIER": "minimized", "CCP_AGENTOS_DATA_DIR": str(agentos)}):
        for start, end in (("2025-10-18", "2025-10-20"), ("2026-02-09", "2026-02-12")):
            outcome = materialize_all(start, end)
            assert outcome is not None and outcome.success, outcome and outcome.failures
        yield shas


def _rows(table: str, model: type, where: str) -> list[dict[str, Any]]:
    cols = list(model.model_fields)
    quoted = ", ".join(f'"{c}"' for c in cols)
    return [dict(zip(cols, r, strict=True)) for r in query(f"SELECT {quoted} FROM {table} WHERE {where}")]


def _null_fields(rows: list[dict[str, Any]]) -> set[str]:
    return {k for r in rows for k, v in r.items() if v is None}


def test_sessions_get_repository_commit_license_and_tier(world):
    got = {r[0]: r[1:] for r in query("""SELECT session_id, repo_id, branch, "commit", license_id, privacy_tier
        FROM sessions WHERE source = 'claude_code'""")}
    # commit = the newest commit of the session's branch at its last activity (by hand from the history above)
    assert got == {
        "55604662-cf2a-4331-851a-ec234028f8ca": ("spotter", "master", world["c1"], "lic-unified-1", "minimized"),
        "491e126e-1e71-469c-ade2-fcc8af567c74": ("spotter", "master", world["c2"], "lic-unified-1", "minimized"),
        "d6e0bada-1959-4eec-a9d2-0bfade768d8f": ("spotter", "master", world["c2"], "lic-unified-1", "minimized"),
        "4d5611e5-241a-462a-8d15-5122611a9569": ("spotter", "spotter-dov", world["c4"], "lic-unified-1",
                                                 "minimized"),
    }


def test_value_rows_from_junit_and_git(world):
    rows = query("SELECT CAST(day AS VARCHAR), kind, summary, evidence_refs, links FROM value_records "
                 "WHERE source = 'repo' ORDER BY day, kind")
    site = "https://github.com/team/spotter"                     # git@github.com:team/spotter.git as a web address
    assert rows == [
        ("2026-02-10", "fix", "Fix: fix: parser crash on an empty line", [f"commit:{world['c2']}"],
         [f"{site}/commit/{world['c2']}"]),
        ("2026-02-12", "merged_pr", "Merged pull request #7: Merge pull request #7 from team/spotter-dov",
         [f"commit:{world['merge']}"], [f"{site}/pull/7", f"{site}/commit/{world['merge']}"]),
        ("2026-02-12", "tests_passed", "2 test(s) passed, 1 failed (reports/junit.xml)", ["junit:reports/junit.xml"],
         None),
    ]


def test_no_fillable_unified_field_is_null_on_the_fixtures(world):
    sessions = _rows("sessions", Session, "source = 'claude_code'")
    turns = _rows("turns", Turn, "source = 'claude_code'")
    values = _rows("value_records", Value, "source = 'repo'")
    assert len(sessions) == 4 and len(turns) > 100 and len(values) == 3
    assert _null_fields(sessions) == set(SESSION_NULL)
    assert _null_fields(turns) == set(TURN_NULL)
    assert _null_fields(values) == set(VALUE_NULL)



def test_windows_take_methodology_and_commit_range_from_their_churn_record(world):
    got = {r[0]: r[1:] for r in query("""SELECT DISTINCT "window", methodology, commit_range FROM windows
        WHERE source = 'agentos'""")}
    a, b = "d43a3a052fa0d8b1f42ec53fcd232df2a17dd908", "8afc41de41f2f23ff5bc73932ac47c41e2dc1ff1"  # churn.jsonl
    assert got == {
        "W0-19": ("session002", f"{a}..{b}"), "W0-20": ("session002", f"{a}..{b}"),  # from churn.jsonl
        "W0-CHP": ("long_session", f"{a}..{b}"),
        "W0-CHP-1": ("long_session", f"{b}..{b}"),  # the latest of its 3 churn captures (00:35:09)
        "W0-CHP-2": ("week0", f"{b}..{b}"), "W0-CHP-3": ("week0", f"{b}..{b}"),  # methodology recorded on the window
        "W0-21": (None, None), "W0-21C": (None, None), "W0-TEST": (None, None)}


def test_routing_decisions_from_the_captured_proxy_lines(world):
    rows = query("""SELECT rid, decision, lane, model, upstream, status, paused, CAST(day AS VARCHAR), epoch(ts)
        FROM routing_decisions WHERE source = 'agentos_proxy' ORDER BY ts""")
    haiku, sonnet = "claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929"
    # the 7 `"event":"decision"` lines of W0-MITM-1's raw_text (live/proxy_telemetry.jsonl, line 3), in ts order
    assert [r[:8] for r in rows] == [
        ("37117e01", "forced_model", "zai", haiku, "zai", -1, False, "2025-10-20"),
        ("8dc0c5e3", "forced_model", "zai", haiku, "zai", -1, False, "2025-10-20"),
        ("7787c667", "forced_model", "zai", haiku, "zai", -1, False, "2025-10-20"),
        ("8d2c39e9", "pass_through", "anthropic", sonnet, "anth", -1, False, "2025-10-20"),
        ("bfdc3d75", "pass_through", "anthropic", sonnet, "anth", -1, False, "2025-10-20"),
        ("16cd6b60", "pass_through", "anthropic", sonnet, "anth", -1, False, "2025-10-20"),
        ("484de2ba", "pass_through", "anthropic", sonnet, "anth", -1, False, "2025-10-20")]
    assert rows[0][8] == pytest.approx(1760972506.9235818, abs=1e-3)


def test_a_feature_from_the_feature_file_and_junit(world):
    rows = query("""SELECT CAST(day AS VARCHAR), feature_id, spec_ref, status, title, scenarios, scenarios_passed,
        tests_passed, tests_failed, on_main, tags, file FROM features WHERE source = 'repo'""")
    # @id tag; `Feature:` on line 2; scenarios Query and Empty <- test_query, test_empty (passed); merged to master
    assert rows == [("2026-02-12", "query-screen", "features/query.feature:2", "shipped", "Query screen", 2, 2, 2, 0,
                     True, ["@id:query-screen"], "features/query.feature")]


def test_every_null_measurement_is_named_in_its_errors(world):
    rows = query("SELECT scope, cls, impf, churn_score, feature_delta, errors FROM measurements")
    unnamed = [(scope, name) for scope, *vals, errors in rows for name, v in
               zip(("cls", "impf", "churn_score", "feature_delta"), vals, strict=True)
               if v is None and not any(name in e for e in errors or [])]
    assert rows and unnamed == []


def test_no_fillable_field_of_any_other_entity_is_null(world):
    audit = {("routing_decisions", Decision, "source = 'agentos_proxy'"): DECISION_NULL,
             ("turns", Turn, "source = 'agentos_proxy'"): PROXY_SAMPLE_TURN_NULL,
             ("windows", Window, "source = 'agentos'"): WINDOW_NULL,
             ("measurements", Measurement, "true"): MEASUREMENT_NULL,
             ("features", Feature, "source = 'repo'"): FEATURE_NULL,
             ("commits", Commit, "source = 'repo'"): {}}
    for (table, model, where), legit in audit.items():
        rows = _rows(table, model, where)
        assert rows, table
        assert _null_fields(rows) == set(legit), table
    for table in EMPTY_TABLES:
        assert query(f"SELECT count(*) FROM {table}") == [(0,)]
