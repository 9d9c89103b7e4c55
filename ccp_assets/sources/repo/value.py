"""`value_records` from the team's repository (source = 'repo'): what a day delivered, with its evidence.

- tests_passed: one row per JUnit report of the day with a passing test case ("N test(s) passed ...",
  evidence `junit:<path>`, the features it covers).
- merged_pr: a merge commit on main ("Merge pull request #N ..." or any merge of a branch), or a
  squash-merged commit on main whose subject ends in "(#N)" (GitHub's and GitLab's default), evidence
  `commit:<sha>`; links to the pull request and the commit when the repository has an `origin` remote
  (GitHub-style paths: /pull/N, /commit/<sha>).
- fix: a non-merge commit on main whose subject says it fixes something: a conventional-commit `fix:` /
  `fix(scope):` / `hotfix:` type, or the words fix, fixes, fixed, bug, hotfix.
Commits not on main are work in progress, not delivered value: no row.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

SOURCE = "repo"
PR_MERGE = re.compile(r"^Merge (?:pull request|PR) #(\d+)", re.IGNORECASE)
PR_SQUASH = re.compile(r"\(#(\d+)\)\s*$")
FIX = re.compile(r"^(?:fix|hotfix|bugfix)(?:\([^)]*\))?!?:|\b(?:fix|fixes|fixed|bug|bugfix|hotfix)\b", re.IGNORECASE)


def value_rows(d: date, commits: list[dict[str, Any]], reports: list[dict[str, Any]],
               web: dict[str, str | None] | None = None) -> list[dict[str, Any]]:
    """The day's value rows from its commits (normalized `commits` rows), JUnit report records and the web
    address of each commit's repository (`web`: sha -> https://host/owner/repo, for links)."""
    out: list[dict[str, Any]] = []
    for rec in reports:
        cases = rec.get("cases") or []
        passed = [c for c in cases if c.get("status") == "passed"]
        if rec.get("error") or not passed:
            continue
        failed = sum(1 for c in cases if c.get("status") in ("failed", "error"))
        feats = sorted({(c.get("properties") or {}).get("feature_id") for c in passed} - {None, ""})
        out.append({"kind": "tests_passed", "summary": f"{len(passed)} test(s) passed, {failed} failed "
                                                       f"({rec.get('path')})",
                    "evidence_refs": [f"junit:{rec.get('path')}", *(f"feature:{f}" for f in feats)],
                    "feature_id": feats[0] if len(feats) == 1 else None, "file": rec.get("path")})
    for c in commits:
        if not c.get("on_main"):
            continue
        subject = c.get("subject") or ""
        ref = [f"commit:{c['sha']}"]
        site = (web or {}).get(c["sha"])
        commit_link = [f"{site}/commit/{c['sha']}"] if site else None
        pr = PR_MERGE.match(subject) or PR_SQUASH.search(subject)
        if c.get("is_merge") or pr:
            what = f"Merged pull request #{pr.group(1)}" if pr else "Merged a branch"
            links = [f"{site}/pull/{pr.group(1)}", *commit_link] if site and pr and commit_link else commit_link
            out.append({"kind": "merged_pr", "summary": f"{what}: {subject}", "evidence_refs": ref, "links": links})
        if not c.get("is_merge") and FIX.search(subject):
            out.append({"kind": "fix", "summary": f"Fix: {subject}", "evidence_refs": ref, "links": commit_link})
    for r in out:
        r.update({"source": SOURCE, "day": d})
        r.setdefault("file", None)
        r.setdefault("links", None)
    return out
