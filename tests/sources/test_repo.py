"""The team's repository: commits with numstat per day, BDD features and their status from JUnit results."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from tests.helpers import materialize_all, query
from tests.sources.gen import FEATURE_NO_ID, FEATURE_TEXT, commit, git, junit

QUOTA = """@id:quota-headroom
Feature: Quota headroom warnings

  Scenario: Warn when headroom drops
    Given a quota
"""


def _numstat(repo) -> dict[str, tuple[int, int, int]]:
    out = git(repo, "log", "--all", "--numstat", "-M", "--format=%x1e%H")  # git's rename detection, as METRICS.md
    stats = {}
    for chunk in filter(str.strip, out.split("\x1e")):
        sha, *rows = chunk.strip().splitlines()
        nums = [r.split("\t") for r in rows if r.strip()]
        stats[sha] = (len(nums), sum(int(a) for a, _, _ in nums), sum(int(d) for _, d, _ in nums))
    return stats


def test_commits_features_and_statuses(repo_dir):
    day = datetime(2026, 1, 5, tzinfo=UTC)
    commit(repo_dir, {"src/a.py": "x = 1\n", "features/export.feature": FEATURE_TEXT}, day.replace(hour=9), "first")
    commit(repo_dir, {"src/a.py": "x = 2\ny = 3\n", "features/rollup.feature": FEATURE_NO_ID},
           day.replace(hour=15), "second")
    git(repo_dir, "checkout", "-q", "-b", "feat")
    commit(repo_dir, {"features/quota.feature": QUOTA, "src/q.py": "q = 1\n"}, day.replace(hour=16), "quota on a branch")
    (repo_dir / "reports").mkdir()
    (repo_dir / "reports" / "junit-2026-01-05.xml").write_text(junit([
        ("tests.bdd.test_export", "test_export_one_day_as_csv", True, None),
        ("tests.bdd.test_export", "test_commas", True, {"feature_id": "csv-export",
                                                        "spec_ref": "features/export.feature:9"}),
        ("tests.bdd.test_rollup", "test_roll_up_seven_days_into_one_iso_week", False, None),
        ("tests.bdd.test_quota", "test_warn_when_headroom_drops", True, None),
        ("tests.unit.test_misc", "test_something_else", True, None)], "2026-01-05T18:30:00"))
    (repo_dir / "reports" / "junit-broken.xml").write_text("<testsuites><testsuite")
    (repo_dir / "features" / "notes.feature").write_text("# just a comment, no Feature keyword\n")
    for untracked in ("reports/junit-broken.xml", "features/notes.feature"):  # they land on their mtime's day
        os.utime(repo_dir / untracked, (day.timestamp() + 3600 * 20,) * 2)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome and outcome.failures
    # commits: one row each, numstat totals as git itself reports them
    got = {sha: (n, ins, dels) for sha, n, ins, dels in query(
        "SELECT sha, files_changed, insertions, deletions FROM commits")}
    assert got == _numstat(repo_dir)
    assert query("SELECT subject, on_main FROM commits ORDER BY ts") == [
        ("first", True), ("second", True), ("quota on a branch", False)]
    rows = {r[0]: r[1:] for r in query("""SELECT feature_id, spec_ref, status, scenarios, scenarios_passed,
                                                 tests_passed, tests_failed, on_main FROM features""")}
    assert rows["csv-export"] == ("features/export.feature:2", "shipped", 2, 2, 2, 0, True)
    assert rows["weekly-rollup-of-token-costs"] == ("features/rollup.feature:1", "proposed", 1, 0, 0, 1, True)
    assert rows["quota-headroom"] == ("features/quota.feature:2", "implemented", 1, 1, 1, 0, False)
    meta = outcome.materialized["normalized_repo"]["metadata"]
    assert meta["unmapped_tests"] == 1 and meta["tests_passed"] == 3 and meta["commits"] == 3
    q = sorted(query("SELECT kind, file FROM quarantine WHERE stage = 'normalize'"))
    assert q == [("invalid_xml", "reports/junit-broken.xml"), ("missing_field", "features/notes.feature")]


def test_only_new_commits_land_and_a_fix_ships_the_next_day(repo_dir):
    d1 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    commit(repo_dir, {"features/export.feature": FEATURE_TEXT}, d1, "spec")
    reports = repo_dir / "reports"
    reports.mkdir()
    (reports / "junit-1.xml").write_text(junit([
        ("t", "test_export_one_day_as_csv", True, None),
        ("t", "test_export_escapes_commas_in_model_names", False, None)], "2026-01-05T18:00:00"))
    assert materialize_all().success
    assert query("SELECT status FROM features") == [("proposed",)]
    first = query("SELECT sum(lines) FROM landing_batches WHERE source = 'repo'")[0][0]
    sha = commit(repo_dir, {"src/fix.py": "ok = True\n"}, d1.replace(day=6), "fix commas")
    (reports / "junit-2.xml").write_text(junit([
        ("t", "test_export_one_day_as_csv", True, None),
        ("t", "test_export_escapes_commas_in_model_names", True, None)], "2026-01-06T18:00:00"))
    outcome = materialize_all()
    assert outcome.success
    # one commit line and one report line are new; nothing already landed is landed again
    assert query("SELECT sum(lines) FROM landing_batches WHERE source = 'repo'")[0][0] == first + 2
    assert outcome.materialized["raw_repo"]["metadata"]["commit_shas_in_partition"] == [sha]
    assert query("SELECT CAST(day AS VARCHAR), status, tests_passed FROM features ORDER BY day") == [
        ("2026-01-05", "proposed", 1), ("2026-01-06", "shipped", 2)]
    assert query("SELECT count(*) FROM commits")[0][0] == 2
    ex = json.loads(query("SELECT extras FROM features WHERE day = '2026-01-06'")[0][0])
    assert ex["id_from"] == "tag"
