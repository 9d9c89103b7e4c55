"""Unified entities filled from real sources (issue 13): the real Claude Code fixture transcripts, with CCP_REPO_DIR a
git repository built here for their project (`spotter`: master, and the branch `spotter-dov` of the worktree session)
with a JUnit report, a fix commit and a merged pull request, and a real signed license. One Dagster run.

Fixture sessions (cwd, gitBranch, last activity):
  55604662 short.jsonl        /home/marco/projects/spotter                      master       2026-02-10 21:16:12
  491e126e subagent.jsonl     /home/marco/projects/spotter                      master       2026-02-10 22:03:51
  d6e0bada tool_heavy.jsonl   /home/marco/projects/spotter                      master       2026-02-10 22:59:46
  4d5611e5 (+ subagents)      /home/USER/projects/spotter-worktrees/spotter-dov spotter-dov  2026-02-12 21:03:34
None of these directories exists here: the sessions are the repository's by its name (`spotter`) and by its branch.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, sign_envelope
from ccp_assets.model.v1 import Session, Turn, Value
from tests.conftest import CLAUDE_FIXTURE, _copy_tree
from tests.helpers import materialize_all, query
from tests.measurements.conftest import commit, git, isolated_env, utc

JUNIT = ('<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest" tests="3" failures="1" '
         'timestamp="2026-02-12T21:30:00Z">'
         '<testcase classname="t.test_q" name="test_query" time="0.1"/>'
         '<testcase classname="t.test_q" name="test_empty" time="0.1"/>'
         '<testcase classname="t.test_q" name="test_slow" time="0.1"><failure message="slow">E</failure></testcase>'
         '</testsuite></testsuites>\n')

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
    shas["c4"] = commit(repo, {"query.txt": "q2\n"}, utc(2026, 2, 12, 20), "dov: wire the query screen")
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

    with isolated_env(tmp, {"CLAUDE_CONFIG_DIR": str(tmp / "claude"), "CCP_REPO_DIR": str(repo),
                            "CCP_LICENSE_PACK": str(tmp / "license.pack"), "CCP_TRUSTED_KEYS": str(pub_path),
                            "CCP_PRIVACY_TIER": "minimized"}):
        outcome = materialize_all("2026-02-09", "2026-02-12")
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
