"""The team's repository as churn and CLS need it: first-parent history, blame, diffs, file contents.

Everything goes through git itself (gitpython's command wrapper and object database); nothing here parses
diff hunks by hand (only git's own -z record formats). Answers that cannot change for a given commit are cached on the instance.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MAIN_BRANCHES = ("main", "master")
_PORCELAIN_HEADER = re.compile(r"^([0-9a-f]{40}) \d+ \d+")


@dataclass(frozen=True)
class HistoryCommit:
    sha: str
    ts: datetime
    parents: tuple[str, ...]


class GitRepo:
    """A read-only view of one repository; `open` returns None (with the reason) when there is none."""

    def __init__(self, path: Path, repo) -> None:  # noqa: ANN001 - git.Repo
        self.path = path
        self.repo = repo
        self._blame: dict[tuple[str, str], Counter | None] = {}
        self._blob: dict[tuple[str, str], bytes | None] = {}
        self._history: list[HistoryCommit] | None = None
        self._index: dict[str, int] = {}
        self._ancestor: dict[tuple[str, str], bool] = {}
        self._numstat: dict[str, list[tuple[str, str | None, int | None, int | None]]] = {}
        self._moves: dict[tuple[str, str], dict[str, str | None]] = {}

    @classmethod
    def open(cls, path: Path | None) -> tuple[GitRepo | None, str]:
        import git

        if path is None:
            return None, "no repository configured (CCP_REPO_DIR)"
        try:
            repo = git.Repo(path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            return None, f"CCP_REPO_DIR is not a git repository ({path.name})"
        try:
            repo.head.commit  # noqa: B018 - raises on an empty repository
        except ValueError:
            return None, "the repository has no commits yet"
        return cls(path, repo), ""

    def close(self) -> None:
        """Stop git's helper processes (cat-file) now rather than at garbage collection."""
        self.repo.close()

    @property
    def repo_id(self) -> str:
        return self.path.name

    def git(self, *args: str) -> str:
        return self.repo.git.execute(["git", "-c", "core.quotepath=off", *args])

    def tip(self) -> str:
        heads = {h.name: h for h in self.repo.heads}
        for name in MAIN_BRANCHES:
            if name in heads:
                return heads[name].commit.hexsha
        return self.repo.head.commit.hexsha

    def history(self) -> list[HistoryCommit]:
        """The first-parent line of main (else HEAD), oldest first."""
        if self._history is None:
            out = self.git("log", "--first-parent", "--reverse", "--format=%H %ct %P", self.tip())
            hist = []
            for ln in out.splitlines():
                sha, ct, *parents = ln.split()
                hist.append(HistoryCommit(sha, datetime.fromtimestamp(int(ct), UTC), tuple(parents)))
            self._history = hist
            self._index = {c.sha: i for i, c in enumerate(hist)}
        return self._history

    def resolve(self, rev: str | None) -> str | None:
        """The full SHA of a commit-ish (a short SHA too), or None when the repository does not have it."""
        if not rev:
            return None
        try:
            return self.repo.commit(rev).hexsha
        except Exception:  # BadName, ValueError, ...: not in this repository
            return None

    def is_ancestor(self, a: str, b: str) -> bool:
        self.history()
        if a in self._index and b in self._index:
            return self._index[a] <= self._index[b]
        key = (a, b)
        if key not in self._ancestor:
            try:
                self.git("merge-base", "--is-ancestor", a, b)
                self._ancestor[key] = True
            except Exception:
                self._ancestor[key] = False
        return self._ancestor[key]

    def snapshot_at(self, sha: str, limit: datetime) -> str | None:
        """The newest first-parent commit at or before `limit` that contains `sha` (None if none does)."""
        hist = self.history()
        start = self._index.get(sha, 0)
        best = None
        for c in hist[start:]:
            if c.ts <= limit:
                best = c.sha
        if best is None or not self.is_ancestor(sha, best):
            return None
        return best

    def blame(self, rev: str, path: str) -> Counter | None:
        """Lines of `path` at `rev` per commit that last touched them; None when the path is not there."""
        key = (rev, path)
        if key not in self._blame:
            try:
                out = self.git("blame", "--porcelain", rev, "--", path)
            except Exception:
                self._blame[key] = None
            else:
                self._blame[key] = Counter(m.group(1) for ln in out.splitlines()
                                           if (m := _PORCELAIN_HEADER.match(ln)))
        return self._blame[key]

    def blob(self, rev: str, path: str) -> bytes | None:
        """The bytes of `path` at `rev`, None when absent (or `rev` is the empty tree)."""
        key = (rev, path)
        if key not in self._blob:
            data = None
            if rev != EMPTY_TREE:
                try:
                    data = (self.repo.commit(rev).tree / path).data_stream.read()
                except (KeyError, ValueError):
                    data = None
            self._blob[key] = data
        return self._blob[key]

    def blobs_at(self, rev: str, suffix: str) -> dict[str, str]:
        """{path: blob sha} of the files at `rev` whose name ends with `suffix`."""
        if rev == EMPTY_TREE:
            return {}
        out = {}
        for ln in self.git("ls-tree", "-r", rev).splitlines():
            meta, _, path = ln.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and path.endswith(suffix):
                out[path] = parts[2]
        return out

    def read_blob(self, sha: str) -> bytes:
        return self.repo.odb.stream(bytes.fromhex(sha)).read()

    def diff_numstat(self, a: str, b: str) -> list[tuple[str, int | None, int | None]]:
        """(path, added, deleted) of every file that differs between two commits (binary: None)."""
        out = self.git("diff", "--numstat", "--no-renames", a, b)
        rows = []
        for ln in out.splitlines():
            parts = ln.split("\t")
            if len(parts) == 3:
                rows.append((parts[2], None if parts[0] == "-" else int(parts[0]),
                             None if parts[1] == "-" else int(parts[1])))
        return rows

    def commit_numstat(self, sha: str) -> list[tuple[str, str | None, int | None, int | None]]:
        """(path, old path of a rename or None, added, deleted) of one commit against its first parent, with
        git's rename detection (`git diff --numstat -M`): a moved file adds only the lines it changed."""
        if sha not in self._numstat:
            out = self.git("diff", "--numstat", "-z", "-M", self.parent_or_empty(sha), sha)
            self._numstat[sha] = parse_numstat_z(out)
        return self._numstat[sha]

    def path_at(self, rev: str, later: str, path: str) -> str | None:
        """Where `path` of `rev` lives at `later`, following renames (None when it was deleted)."""
        key = (rev, later)
        if key not in self._moves:
            moves: dict[str, str | None] = {}
            out = self.git("diff", "--name-status", "-z", "-M", rev, later)
            parts = out.split("\0")
            i = 0
            while i < len(parts) and parts[i]:
                status = parts[i]
                if status[0] in "RC":
                    if status[0] == "R":
                        moves[parts[i + 1]] = parts[i + 2]
                    i += 3
                else:
                    if status[0] == "D":
                        moves[parts[i + 1]] = None
                    i += 2
            self._moves[key] = moves
        return self._moves[key].get(path, path)

    def parent_or_empty(self, sha: str) -> str:
        c = self.repo.commit(sha)
        return c.parents[0].hexsha if c.parents else EMPTY_TREE


def parse_numstat_z(out: str) -> list[tuple[str, str | None, int | None, int | None]]:
    """`git diff --numstat -z` records: `A\tD\tpath\0`, or for a rename `A\tD\t\0old\0new\0` (binary: `-`)."""
    rows = []
    parts = out.split("\0")
    i = 0
    while i < len(parts):
        head = parts[i]
        if not head:
            i += 1
            continue
        added, deleted, path = head.split("\t", 2)
        old = None
        if path == "":
            old, path = parts[i + 1], parts[i + 2]
            i += 3
        else:
            i += 1
        rows.append((path, old, None if added == "-" else int(added), None if deleted == "-" else int(deleted)))
    return rows
