"""The unified Session fields a Claude Code transcript leaves open, filled from the sources that know them.

- repo_id, commit: git. The session's `cwd` names its repository: when that directory exists here, the
  repository it is in (a worktree counts as its main repository; repo_id = the main work tree's folder
  name, as `commits.repo_id`); else CCP_REPO_DIR when the session is that repository's: its cwd is the
  folder, inside it or one of its worktrees, ends in the folder's name (the same project on another
  machine), or its `gitBranch` is a branch of it other than main/master. `commit` = the tip of the
  session's `gitBranch` (else HEAD) at the session's last activity (`git rev-list -1 --before`).
- license_id, privacy_tier: the effective license now (licensing.current_license / effective_tier):
  the tier is always known (local without a license), the license id only with a valid license.
- interaction_minutes: the session's human interaction minutes of the day (interaction_daily, METRICS.md
  "IMPF"), when that measurement ran.
- file: the session's main-chain transcript (the file of its main-thread turns).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from ccp_assets.settings import Settings

MAIN_BRANCHES = ("main", "master")
SOURCE = "claude_code"


def _git(cwd: Path, *args: str) -> str | None:
    try:
        r = subprocess.run(["git", "-C", str(cwd), "-c", "core.quotepath=off", *args], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


@dataclass
class Repo:
    path: Path
    repo_id: str
    _commits: dict[tuple[str | None, int], str | None] = field(default_factory=dict)

    def commit_at(self, branch: str | None, ts: datetime | None) -> str | None:
        """The commit `branch` (else HEAD) pointed at, at `ts` (the newest commit at or before it)."""
        epoch = int(ts.timestamp()) if ts is not None else 2**31
        key = (branch, epoch)
        if key not in self._commits:
            refs = [f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"] if branch and branch != "HEAD" else []
            out = None
            for ref in [*refs, "HEAD"]:
                out = _git(self.path, "rev-list", "-1", f"--before={epoch}", ref, "--")
                if out:
                    break
            self._commits[key] = out or None
        return self._commits[key]


class RepoResolver:
    """cwd (+ gitBranch) -> Repo, cached per cwd."""

    def __init__(self, repo_dir: Path | None):
        self.configured = self._open(repo_dir) if repo_dir is not None and repo_dir.is_dir() else None
        self._worktrees: list[Path] = []
        self._branches: set[str] = set()
        if self.configured is not None:
            porcelain = _git(self.configured.path, "worktree", "list", "--porcelain") or ""
            self._worktrees = [Path(ln[9:]) for ln in porcelain.splitlines() if ln.startswith("worktree ")]
            refs = _git(self.configured.path, "for-each-ref", "--format=%(refname:lstrip=2)",
                        "refs/heads", "refs/remotes") or ""
            self._branches = {r.removeprefix("origin/") for r in refs.splitlines()} - set(MAIN_BRANCHES)
        self._cache: dict[tuple[str | None, str | None], Repo | None] = {}

    @staticmethod
    def _open(path: Path) -> Repo | None:
        common = _git(path, "rev-parse", "--path-format=absolute", "--git-common-dir")
        if not common:
            return None
        c = Path(common)
        main = c.parent if c.name == ".git" else c
        return Repo(path, main.name.removesuffix(".git"))

    def repo_for(self, cwd: str | None, branch: str | None) -> Repo | None:
        key = (cwd, branch)
        if key not in self._cache:
            self._cache[key] = self._resolve(cwd, branch)
        return self._cache[key]

    def _resolve(self, cwd: str | None, branch: str | None) -> Repo | None:
        if cwd and Path(cwd).is_dir():
            local = self._open(Path(cwd))
            if local is not None:
                return local
        conf = self.configured
        if conf is None:
            return None
        if cwd:
            p = Path(cwd)
            for root in [conf.path, *self._worktrees]:
                if p == root or root in p.parents:
                    return conf
            if p.name == conf.repo_id or p.name == conf.path.name:
                return conf
        if branch and branch in self._branches:
            return conf
        return None


def fill_sessions(conn: duckdb.DuckDBPyConnection, settings: Settings, day: str,
                  resolver: RepoResolver | None = None) -> int:
    """Fill the day's Claude Code session rows; returns how many got a repository."""
    from ccp_assets.licensing import current_license, effective_tier

    d = date.fromisoformat(day)
    resolver = resolver or RepoResolver(settings.repo_dir)
    tier, _why = effective_tier(settings)
    lic, _ = current_license(settings)
    license_id = lic.license_id if lic is not None else None
    minutes = dict(conn.execute("SELECT session_id, interaction_minutes FROM interaction_daily WHERE day = ?",
                                [d]).fetchall())
    updates = []
    for sid, cwd, branch, last in conn.execute("""SELECT session_id, cwd, branch, coalesce(last_ts, first_ts)
            FROM sessions WHERE source = ? AND day = ?""", [SOURCE, d]).fetchall():
        repo = resolver.repo_for(cwd, branch)
        updates.append((repo.repo_id if repo else None, repo.commit_at(branch, last) if repo else None, license_id,
                        tier, minutes.get(sid), sid))
    if updates:
        conn.executemany("""UPDATE sessions SET repo_id = ?, "commit" = ?, license_id = ?, privacy_tier = ?,
                interaction_minutes = coalesce(?, interaction_minutes)
            WHERE source = 'claude_code' AND day = ? AND session_id = ?""",
                         [(*u[:5], d, u[5]) for u in updates])
    conn.execute("""UPDATE sessions SET file = f.file FROM (
            SELECT session_id, min(file) AS file FROM turns
            WHERE source = 'claude_code' AND day = ? AND NOT coalesce(is_sidechain, false) GROUP BY 1) f
        WHERE sessions.source = 'claude_code' AND sessions.day = ? AND sessions.session_id = f.session_id
          AND sessions.file IS NULL""", [d, d])
    return sum(1 for u in updates if u[0] is not None)
