"""The demo git repo: deterministic history, churn, BDD features and JUnit reports."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET

from ccp_assets.sources.repo.demo import FAILING_FEATURE, LATE_FEATURE, commits_expected
from tests.demo.conftest import DAYS, Corpus


def _git(corpus: Corpus, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=corpus.out / "repo", capture_output=True, text=True, check=True).stdout


def _outcomes(path) -> dict[str, set[bool]]:
    out: dict[str, set[bool]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        fid = next(p.get("value") for p in case.iter("property") if p.get("name") == "feature_id")
        out.setdefault(fid, set()).add(case.find("failure") is None)
    return out


def test_history_has_the_expected_commits_and_churn(corpus: Corpus) -> None:
    assert corpus.manifest.commits == commits_expected(DAYS) == len(_git(corpus, "log", "--format=%H").split())
    dates = _git(corpus, "log", "--format=%aI").split()
    assert min(dates)[:10] == corpus.manifest.start.isoformat() and max(dates)[:10] == corpus.manifest.end.isoformat()
    numstat = _git(corpus, "log", "--numstat", "--format=")
    deleted = sum(int(x.split()[1]) for x in numstat.splitlines() if x and x.split()[1].isdigit())
    assert deleted > 20, "lines added earlier are changed or deleted later"
    assert _git(corpus, "status", "--porcelain") == ""


def test_features_and_junit_reports(corpus: Corpus) -> None:
    repo = corpus.out / "repo"
    tags = [re.search(r"@id:(\S+)", p.read_text()).group(1) for p in sorted((repo / "features").glob("*.feature"))]
    assert FAILING_FEATURE in tags and LATE_FEATURE in tags and len(tags) == 5
    reports = sorted((repo / "reports").glob("junit-*.xml"))
    assert len(reports) == DAYS
    last = _outcomes(reports[-1])
    assert last.pop(FAILING_FEATURE) == {False}, "one feature's scenarios all fail"
    assert all(v == {True} for v in last.values())
    late = [_outcomes(r).get(LATE_FEATURE) for r in reports]
    first = next(i for i, v in enumerate(late) if v)
    assert late[first] == {False} and late[-1] == {True}
