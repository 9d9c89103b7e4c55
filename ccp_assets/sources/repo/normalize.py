"""Repository export lines -> `commits` and `features` rows for one day (source = 'repo').

commits: one row per commit whose committer time falls on the day, with numstat totals and files.

features (one row per feature and day with evidence):
- Definitions: the latest version (as of the end of the day) of every `*.feature` file; feature id =
  its `@id:` tag, else its slugged Feature title; spec_ref = path:line of the `Feature:` keyword.
- Results: the day's JUnit reports (a later report overrides an earlier one for the same test case).
  A test case belongs to a feature by its `feature_id` property, else its `spec_ref` property
  (path, and scenario by line), else by name (`test_<scenario name slug>`).
- status: `implemented` when the feature has scenarios and every one has a mapped test case and all of
  them passed; `shipped` when that holds and the feature file as tested is the one on the main branch
  (and the report names no other branch); else `proposed`. tests_passed / tests_failed count test cases
  (the "value" of the day's tests), scenarios / scenarios_passed count scenarios.
- A day with JUnit results has a row for every feature defined then; a day without results has rows
  only for features whose file changed that day, carrying the latest earlier status (said in errors).
Unparseable reports and feature files without a `Feature:` line are quarantined.

value_records: tests passed (JUnit), merged pull requests and fixes (commits on main), see value.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from ccp_assets.settings import Settings
from ccp_assets.sources.landing import day_files, landed_days
from ccp_assets.sources.pyrecords import Line, Quarantine, insert_rows, parse_ts
from ccp_assets.sources.repo.adapter import MAIN_BRANCHES, RepoSource
from ccp_assets.sources.repo.value import value_rows
from ccp_assets.warehouse.tx import transaction

SOURCE = RepoSource.name
HISTORY_KINDS = ("feature_file", "feature_file_removed")


@dataclass
class RepoResult:
    day: str
    lines: int = 0
    commits: int = 0
    features: int = 0
    implemented: int = 0
    shipped: int = 0
    tests_passed: int = 0
    tests_failed: int = 0
    unmapped_tests: int = 0
    quarantined: int = 0
    new_shas: list[str] = field(default_factory=list)


def normalize_day(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str) -> RepoResult:
    res = RepoResult(day)
    d = date.fromisoformat(day)
    tz = settings.timezone.replace("'", "")
    files = day_files(settings, SOURCE, [x for x in landed_days(settings, SOURCE) if x <= day])
    lines: list[Line] = []
    if files:
        rows = conn.execute(f"""SELECT file, byte_offset, line_no, part, ts, CAST(timezone('{tz}', ts) AS DATE) AS d, line
            FROM read_parquet(?, hive_partitioning = false)
            WHERE CAST(timezone('{tz}', ts) AS DATE) = ? OR (line::JSON->>'$.ccp_export') IN {HISTORY_KINDS}
            ORDER BY ts, file, byte_offset, part""", [files, d]).fetchall()
        lines = [Line(*r) for r in rows]
    q = Quarantine(SOURCE)
    today = [ln for ln in lines if ln.day == d]
    res.lines = len(today)
    commits, seen = [], set()
    for ln in today:
        rec = ln.json()
        if rec.get("ccp_export") != "commit" or rec.get("sha") in seen:
            continue
        seen.add(rec["sha"])
        files_ = [f for f in rec.get("files") or [] if isinstance(f, dict)]
        commits.append({
            "sha": rec["sha"], "day": d, "ts": parse_ts(rec.get("ts")), "author_ts": parse_ts(rec.get("author_ts")),
            "author_name": rec.get("author_name"), "author_email": rec.get("author_email"),
            "subject": rec.get("subject"), "parents": rec.get("parents") or [],
            "is_merge": len(rec.get("parents") or []) > 1, "on_main": rec.get("on_main"),
            "files_changed": len(files_), "insertions": sum(f.get("added") or 0 for f in files_),
            "deletions": sum(f.get("deleted") or 0 for f in files_), "files": files_, "repo_id": rec.get("repo_id"),
            "source": SOURCE, "file": ln.file, "byte_offset": ln.byte_offset, "line_no": ln.line_no})
    res.new_shas = [c["sha"] for c in commits]
    features = _features(conn, lines, d, q, res)
    web = {r["sha"]: r.get("web_url") for ln in today if (r := ln.json()).get("ccp_export") == "commit"}
    values = value_rows(d, commits, [r for ln in today if (r := ln.json()).get("ccp_export") == "junit"], web)
    with transaction(conn):
        conn.execute("DELETE FROM value_records WHERE source = ? AND day = ?", [SOURCE, d])
        insert_rows(conn, "value_records", values)
        conn.execute("DELETE FROM commits WHERE source = ? AND day = ?", [SOURCE, d])
        conn.execute("DELETE FROM features WHERE source = ? AND day = ?", [SOURCE, d])
        conn.execute("DELETE FROM quarantine WHERE source = ? AND stage = 'normalize' AND day = ?", [SOURCE, d])
        res.commits = insert_rows(conn, "commits", commits)
        res.features = insert_rows(conn, "features", features)
        res.quarantined = q.flush(conn)
    res.implemented = sum(1 for f in features if f["status"] in ("implemented", "shipped"))
    res.shipped = sum(1 for f in features if f["status"] == "shipped")
    return res


def _name_slug(text: str | None) -> str:
    t = re.sub(r"[^a-z0-9]+", "_", (text or "").lower()).strip("_")
    return t[5:] if t.startswith("test_") else t


def _features(conn: duckdb.DuckDBPyConnection, lines: list[Line], d: date, q: Quarantine,
              res: RepoResult) -> list[dict[str, Any]]:
    defs: dict[str, tuple[Line, dict]] = {}
    changed_today: set[str] = set()
    reports: list[tuple[Line, dict]] = []
    for ln in lines:
        rec = ln.json()
        kind = rec.get("ccp_export")
        if kind == "feature_file" and ln.day <= d:
            defs[rec["path"]] = (ln, rec)
            if ln.day == d:
                changed_today.add(rec["path"])
        elif kind == "feature_file_removed" and ln.day <= d:
            defs.pop(rec["path"], None)
        elif kind == "junit" and ln.day == d:
            reports.append((ln, rec))
    live: dict[str, tuple[Line, dict]] = {}
    for path, (ln, rec) in defs.items():
        if rec.get("error") or not rec.get("feature_id"):
            if ln.day == d:
                q.add("missing_field" if not rec.get("error") else "invalid_text", path, None, None, d,
                      f"feature file {path}: " + (rec.get("error") or "no `Feature:` line"), json.dumps(rec)[:160])
            continue
        live[path] = (ln, rec)
    cases: dict[tuple, dict] = {}
    branches: set[str] = set()
    for ln, rec in sorted(reports, key=lambda x: (x[0].ts, x[0].byte_offset)):
        if rec.get("error"):
            q.add("invalid_xml", rec.get("path") or ln.file, None, None, d, f"JUnit report {rec.get('path')}: {rec['error']}",
                  rec.get("excerpt") or "")
            continue
        if rec.get("branch"):
            branches.add(rec["branch"])
        for c in rec.get("cases") or []:
            cases[(c.get("classname"), c.get("name"))] = c
    if not cases and not changed_today:
        return []
    by_id = {rec["feature_id"]: path for path, (_, rec) in live.items()}
    by_scenario: dict[str, list[tuple[str, int]]] = {}
    for path, (_, rec) in live.items():
        for s in rec.get("scenarios") or []:
            by_scenario.setdefault(_name_slug(s["name"]), []).append((path, s["line"]))
    mapped: dict[str, list[tuple[int | None, dict]]] = {}
    for c in cases.values():
        props = c.get("properties") or {}
        path, line = by_id.get(props.get("feature_id") or ""), None
        ref = props.get("spec_ref") or ""
        if ref and ":" in ref:
            rpath, _, rline = ref.rpartition(":")
            match = next((p for p in live if p == rpath or p.endswith("/" + rpath) or rpath.endswith("/" + p)), None)
            path = path or match
            if match == path and rline.isdigit():
                line = int(rline)
        if path is None or line is None:
            cands = by_scenario.get(_name_slug(c.get("name")), [])
            cands = [x for x in cands if path is None or x[0] == path]
            if len(cands) == 1:
                path, line = cands[0]
        if path is None:
            res.unmapped_tests += 1
            continue
        mapped.setdefault(path, []).append((line, c))
    prior = dict(conn.execute("""SELECT feature_id, arg_max(status, day) FROM features
        WHERE source = ? AND day < ? GROUP BY 1""", [SOURCE, d]).fetchall())
    out = []
    tested = bool(cases)
    for path, (_ln, rec) in sorted(live.items()):
        if not tested and path not in changed_today:
            continue
        scen_lines = {s["line"] for s in rec.get("scenarios") or []}
        got = mapped.get(path, [])
        passed = sum(1 for _, c in got if c["status"] == "passed")
        failed = sum(1 for _, c in got if c["status"] in ("failed", "error"))
        per_scenario: dict[int, list[str]] = {}
        for line, c in got:
            if line in scen_lines:
                per_scenario.setdefault(line, []).append(c["status"])
        ok_scen = sum(1 for st in per_scenario.values() if all(s == "passed" for s in st))
        errors: list[str] = []
        if tested:
            all_pass = bool(scen_lines) and ok_scen == len(scen_lines) and failed == 0
            other_branch = [b for b in branches if b not in MAIN_BRANCHES]
            if all_pass and rec.get("on_main") and not other_branch:
                status = "shipped"
            elif all_pass:
                status = "implemented"
                errors.append("not shipped: " + ("tested on branch " + ", ".join(other_branch) if other_branch
                                                 else "feature file not on the main branch"))
            else:
                status = "proposed"
            unmatched = len(scen_lines) - len(per_scenario)
            if unmatched:
                errors.append(f"{unmatched} scenario(s) without a test result")
        else:
            status = prior.get(rec["feature_id"], "proposed")
            errors.append("no JUnit results on this day: status carried from the latest earlier day"
                          if rec["feature_id"] in prior else "no JUnit results yet")
        res.tests_passed += passed
        res.tests_failed += failed
        out.append({"feature_id": rec["feature_id"], "spec_ref": f"{path}:{rec.get('line')}", "status": status,
                    "title": rec.get("title"), "source": SOURCE, "day": d, "scenarios": len(scen_lines),
                    "scenarios_passed": ok_scen, "tests_passed": passed, "tests_failed": failed,
                    "on_main": rec.get("on_main"), "tags": rec.get("tags") or [], "file": path,
                    "errors": errors or None,
                    "extras": {"id_from": rec.get("id_from"), "blob": rec.get("blob")}})
    return out
