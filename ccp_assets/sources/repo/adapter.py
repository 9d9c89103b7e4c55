"""The team's repository (CCP_REPO_DIR): git commits with numstat, BDD `*.feature` files, JUnit XML reports.

None of these is a log, so the adapter exports what is new since the last landing to
`$CCP_HOME/exports/repo/repo.jsonl` (sources/exports.py), one JSON line per
- commit (`commit:<sha>`; found with `git log <refs> --not <refs seen last time>`, with numstat under
  git's rename detection (a renamed file: `old_path`, only its changed lines) and whether it is
  reachable from main/master, and the `origin` remote's web address when there is one), event time =
  committer time;
- version of a feature file (`feature:<path>|<blob>|<on main?>`: parsed Feature title, `@id:` tag, tags,
  scenarios with line numbers, and whether that exact blob is in main's tree), event time = the last
  commit touching it when the file is committed unchanged, else its mtime; a feature file that
  disappears gets a `feature_file_removed` line;
- version of a JUnit XML report (`junit:<path>|<sha1>`: every test case with status and properties),
  event time = the suite's `timestamp` (a naive one is read in CCP_TIMEZONE), else the file's mtime.
The landing engine then lands that file like any log: raw data survives a rewritten history.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ccp_assets.measurements.gitrepo import parse_numstat_z
from ccp_assets.settings import Settings
from ccp_assets.sources.base import iso_or_epoch
from ccp_assets.sources.exports import EXPORT_MARK, ExportLog, export_dir, iso_utc

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache"}
MAIN_BRANCHES = ("main", "master")
JUNIT_NAME = re.compile(r"(junit|TEST-|test-results|pytest|report)", re.IGNORECASE)
_SEP_COMMIT, _SEP_FIELD = "\x1e", "\x1f"


def slug(text: str) -> str:
    """A Feature title as an id: lower case, runs of other characters -> '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def parse_feature(text: str) -> dict[str, Any]:
    """Gherkin just deep enough for ids and scenario counts: tags, Feature title/line, scenarios/lines."""
    tags: list[str] = []
    pending: list[str] = []
    title, line_no, scenarios = None, None, []
    for i, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if s.startswith("@"):
            pending += s.split()
            continue
        m = re.match(r"(Feature|Ability|Business Need):\s*(.*)", s)
        if m and title is None:
            title, line_no, tags, pending = m.group(2).strip(), i, pending, []
            continue
        m = re.match(r"(Scenario Outline|Scenario Template|Scenario|Example):\s*(.*)", s)
        if m and title is not None:
            scenarios.append({"name": m.group(2).strip(), "line": i, "tags": pending})
        if s and not s.startswith("#"):
            pending = [] if not s.startswith("@") else pending
    ids = [t.split(":", 1)[1] for t in tags if t.startswith("@id:") and len(t) > 4]
    return {"title": title, "line": line_no, "tags": tags, "scenarios": scenarios,
            "feature_id": ids[0] if ids else (slug(title) if title else None),
            "id_from": "tag" if ids else "title"}


def _suite_time(root: ET.Element, tz: str) -> str | None:
    suites = [root] if root.tag == "testsuite" else root.findall(".//testsuite")
    for s in suites:
        stamp = s.get("timestamp")
        if stamp:
            try:
                t = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                continue
            return (t if t.tzinfo else t.replace(tzinfo=ZoneInfo(tz))).isoformat()
    return None


def parse_junit(data: bytes, tz: str) -> dict[str, Any] | None:
    """Test cases of a JUnit XML report, or None when the XML is not a JUnit report. Raises on bad XML."""
    root = ET.fromstring(data)
    if root.tag not in ("testsuites", "testsuite"):
        return None
    props: dict[str, str] = {}
    for p in root.iter("property"):
        if p.get("name") in ("branch", "git_branch", "git.branch", "ci_branch") and p.get("value"):
            props["branch"] = p.get("value") or ""
    cases = []
    for c in root.iter("testcase"):
        status = "passed"
        message = None
        for kind in ("failure", "error", "skipped"):
            el = c.find(kind)
            if el is not None:
                status, message = {"failure": "failed", "error": "error", "skipped": "skipped"}[kind], el.get("message")
                break
        cprops = {p.get("name"): p.get("value") for p in c.iter("property") if p.get("name")}
        cases.append({"classname": c.get("classname"), "name": c.get("name"), "time": c.get("time"),
                      "file": c.get("file"), "line": c.get("line"), "status": status, "message": message,
                      "properties": cprops})
    return {"ts": _suite_time(root, tz), "branch": props.get("branch"), "cases": cases}


def web_url(remote: str) -> str | None:
    """`git@github.com:team/app.git`, `ssh://git@host/team/app`, `https://host/team/app.git` ->
    `https://host/team/app`; None for a local path or a URL without owner/repo."""
    m = re.match(r"^(?:[a-z+]+://)?(?:[^@/]+@)?([^/:]+)[:/](?:\d+/)?(.+?)(?:\.git)?/?$", remote.strip())
    if not m or "/" not in m.group(2) or remote.startswith(("/", ".", "file:")):
        return None
    return f"https://{m.group(1)}/{m.group(2)}"


class RepoSource:
    """Exports git / feature / JUnit news to one JSONL file that the landing engine lands."""

    name = "repo"
    event_time_sql = iso_or_epoch("ts")

    def enabled(self, settings: Settings) -> bool:
        return settings.repo_dir is not None and settings.repo_dir.is_dir()

    def export_log(self, settings: Settings) -> ExportLog:
        return ExportLog(export_dir(settings, self.name) / "repo.jsonl")

    def files(self, settings: Settings) -> list[Path]:
        if not self.enabled(settings):
            return []
        log = self.export_log(settings)
        RepoExporter(settings, log).run()
        return log.files()


class RepoExporter:
    def __init__(self, settings: Settings, log: ExportLog):
        assert settings.repo_dir is not None
        self.settings, self.log, self.root = settings, log, settings.repo_dir
        self.state_path = log.path.with_name("state.json")
        self.state: dict[str, Any] = (json.loads(self.state_path.read_text()) if self.state_path.exists()
                                      else {"tips": [], "features": {}})
        self.repo = self._open()
        self.main_ref = self._main_ref()
        self.records: list[dict] = []

    def _open(self):  # noqa: ANN202 - git.Repo or None
        import git

        try:
            return git.Repo(self.root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            return None

    def _main_ref(self) -> str | None:
        if self.repo is None:
            return None
        heads = {h.name for h in self.repo.heads}
        for name in MAIN_BRANCHES:
            if name in heads:
                return name
        try:
            return self.repo.head.commit.hexsha
        except ValueError:  # an empty repository
            return None

    def run(self) -> int:
        tips: list[str] = []
        if self.repo is not None and self.main_ref is not None:
            tips = self._commits()
        self._features()
        self._junit()
        n = self.log.append(self.records)
        self.state["tips"] = tips or self.state.get("tips", [])
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.state))
        tmp.replace(self.state_path)
        return n

    # -- git ---------------------------------------------------------------------------------------------
    def _git(self, *args: str) -> str:
        assert self.repo is not None
        return self.repo.git.execute(["git", "-c", "core.quotepath=off", *args])

    def _commits(self) -> list[str]:
        tips = sorted({ref.commit.hexsha for ref in self.repo.refs if _is_commit(ref)} | {self.repo.head.commit.hexsha})
        old = [t for t in self.state.get("tips", []) if self._exists(t)]
        if sorted(old) == tips:
            return tips
        not_args = ["--not", *old] if old else []
        fmt = _SEP_COMMIT + _SEP_FIELD.join(["%H", "%P", "%an", "%ae", "%aI", "%cI", "%s"])
        # -M: git's rename detection, so a moved file counts only the lines it changed (METRICS.md "Churn");
        # -z: paths as they are, a rename as old and new path
        out = self._git("log", *tips, *not_args, "--numstat", "-M", "-z", f"--format={fmt}")
        main = set(self._git("rev-list", self.main_ref, *not_args).split()) if self.main_ref else set()
        seen = self.log.seen()
        repo_id, web = self.root.name, self._web_url()
        for chunk in out.split(_SEP_COMMIT):
            if not chunk.strip():
                continue
            head, _, body = chunk.partition("\0")
            sha, parents, an, ae, at, ct, subject = (head.split(_SEP_FIELD) + [""] * 7)[:7]
            if f"commit:{sha}" in seen:
                continue
            files = [{"path": path, "added": added, "deleted": deleted, **({"old_path": old} if old else {})}
                     for path, old, added, deleted in parse_numstat_z(body.lstrip("\n"))]
            self.records.append({EXPORT_MARK: "commit", "export_key": f"commit:{sha}", "ts": ct, "sha": sha,
                                 "parents": parents.split(), "author_name": an, "author_email": ae, "author_ts": at,
                                 "subject": subject, "files": files, "on_main": sha in main, "repo_id": repo_id,
                                 **({"web_url": web} if web else {})})
        return tips

    def _web_url(self) -> str | None:
        """The web address of the `origin` remote (https://host/owner/repo), for links to commits and PRs."""
        try:
            url = self._git("remote", "get-url", "origin").strip()
        except Exception:  # no origin remote
            return None
        return web_url(url)

    def _exists(self, sha: str) -> bool:
        try:
            self._git("cat-file", "-e", f"{sha}^{{commit}}")
            return True
        except Exception:
            return False

    def _main_blobs(self) -> dict[str, str]:
        if self.repo is None or self.main_ref is None:
            return {}
        out = self._git("ls-tree", "-r", self.main_ref)
        blobs = {}
        for ln in out.splitlines():
            meta, _, path = ln.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                blobs[path] = parts[2]
        return blobs

    def _last_commit_time(self, rel: str) -> str | None:
        if self.repo is None or self.main_ref is None:
            return None
        out = self._git("log", "-1", "--format=%cI", "HEAD", "--", rel).strip()
        return out or None

    # -- files -------------------------------------------------------------------------------------------
    def _walk(self, suffix: str) -> list[Path]:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            found += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(suffix)]
        return found

    def _features(self) -> None:
        main_blobs = self._main_blobs()
        head_blobs = main_blobs if self.repo is None else self._head_blobs(main_blobs)
        current: dict[str, str] = {}
        for path in self._walk(".feature"):
            rel = path.relative_to(self.root).as_posix()
            try:
                data, st = path.read_bytes(), path.stat()
            except OSError:
                continue
            blob = blob_sha(data)
            on_main = main_blobs.get(rel) == blob
            current[rel] = blob
            key = f"feature:{rel}|{blob}|{int(on_main)}"
            if key in self.log.seen():
                continue
            committed = head_blobs.get(rel) == blob
            ts = (self._last_commit_time(rel) if committed else None) or iso_utc(st.st_mtime)
            try:
                parsed: dict[str, Any] = parse_feature(data.decode("utf-8"))
            except UnicodeDecodeError as e:
                parsed = {"error": f"not UTF-8: {e.reason}"}
            self.records.append({EXPORT_MARK: "feature_file", "export_key": key, "ts": ts, "path": rel, "blob": blob,
                                 "on_main": on_main, "committed": committed, **parsed})
        for rel, blob in self.state.get("features", {}).items():
            if rel not in current:
                self.records.append({EXPORT_MARK: "feature_file_removed", "export_key": f"feature_removed:{rel}|{blob}",
                                     "ts": datetime.now().astimezone().isoformat(), "path": rel, "blob": blob})
        self.state["features"] = current

    def _head_blobs(self, main_blobs: dict[str, str]) -> dict[str, str]:
        try:
            head = self.repo.head.commit.hexsha
        except ValueError:
            return {}
        if self.main_ref and head == self.repo.commit(self.main_ref).hexsha:
            return main_blobs
        out = self._git("ls-tree", "-r", "HEAD")
        return {ln.partition("\t")[2]: ln.split()[2] for ln in out.splitlines() if " blob " in ln}

    def _junit(self) -> None:
        tz = self.settings.timezone
        for path in self._walk(".xml"):
            rel = path.relative_to(self.root).as_posix()
            try:
                data, st = path.read_bytes(), path.stat()
            except OSError:
                continue
            key = f"junit:{rel}|{hashlib.sha1(data).hexdigest()}"
            if key in self.log.seen():
                continue
            rec: dict[str, Any] = {EXPORT_MARK: "junit", "export_key": key, "path": rel}
            try:
                parsed = parse_junit(data, tz)
            except ET.ParseError as e:
                if not JUNIT_NAME.search(rel):
                    continue  # some other broken XML file of the repo, not a test report
                rec.update({"error": f"invalid XML: {e}", "excerpt": data[:160].decode("utf-8", "replace"),
                            "ts": iso_utc(st.st_mtime)})
                self.records.append(rec)
                continue
            if parsed is None:
                continue
            rec.update(parsed)
            rec["ts"] = parsed["ts"] or iso_utc(st.st_mtime)
            self.records.append(rec)


def _is_commit(ref: Any) -> bool:
    try:
        return ref.commit is not None
    except (ValueError, TypeError):
        return False
