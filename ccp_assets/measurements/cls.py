"""CLS v1, the Cognitive Load Score, per day and per window (`cls_features`), METRICS.md "CLS".

Scopes: `day` = the diff of the day's commits on main's first-parent line (parent of the first .. the
last commit of the day); `window:<id>` = the diff of a current AgentOS window's commit range
(`commit_range` "a..b" on the window, else its churn record's commit_start..commit_end).

The seven inputs, from `git diff --numstat A B` and the files at A and B:
- files_touched: files that differ.
- module_spread: distinct modules touched; a Python file's module is its dotted name below the source
  root (`src/`, `lib/` stripped) cut to two levels (`ledger.billing`), any other file's module is its
  top-level directory (`features`, `docs`; `.` for files at the root).
- dep_depth: the longest chain of internal imports (cycles cut) starting at a touched Python module, in
  the import graph of every Python file at B; the maximum over the touched modules.
- delta_cyclomatic: Σ over touched Python files of (cyclomatic complexity at B - at A), a file's
  complexity being the sum of radon's per-function and per-method complexity (absent file: 0).
- plan_size_kb: size at B (KiB) of the touched plan/spec documents: *.md, *.rst, *.adoc, *.feature,
  and any file under docs/, plans/, specs/, adr/ or rfcs/.
- interface_delta: public (no leading underscore) top-level functions, classes and class methods of the
  touched Python files whose signature was added, removed or changed between A and B.
- cross_refs: distinct import edges from a touched Python module to an internal module of another
  module (as module_spread counts them) at B.
The four code inputs are measured on Python only; touched files in other languages are named in errors,
and when no Python file was touched but other code was, those inputs are missing.

z(x) = (x - mean) / population std of x over the same repository's git history in the trailing 90 days
(D-89 .. D): one value per day with commits on main's first-parent line (that day's range, as the `day`
scope measures it), read from git whether or not the day was ever materialized, so the first day after
install scores like any other (a baseline of materialized rows made it always 0). Window scopes are scored
against the same daily baseline. A missing input, or an input without spread over that
window, contributes z = 0 and is named. CLS = 0.25·z(files) + 0.20·z(modules) + 0.15·z(depth)
+ 0.15·z(Δcyclomatic) + 0.10·z(plan KiB) + 0.10·z(interface) + 0.05·z(cross refs); NULL when no input
could be measured at all. `review` = CLS > 1.2 (stronger review and stronger models).
"""

from __future__ import annotations

import ast
import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from ccp_assets.measurements.gitrepo import GitRepo
from ccp_assets.warehouse.bulk import insert_rows

WEIGHTS: dict[str, float] = {"files_touched": 0.25, "module_spread": 0.20, "dep_depth": 0.15,
                             "delta_cyclomatic": 0.15, "plan_size_kb": 0.10, "interface_delta": 0.10,
                             "cross_refs": 0.05}
INPUTS = tuple(WEIGHTS)
CODE_INPUTS = ("dep_depth", "delta_cyclomatic", "interface_delta", "cross_refs")
REVIEW_THRESHOLD = 1.2
TRAILING_DAYS = 90
SOURCE_ROOTS = ("src/", "lib/")
PLAN_SUFFIXES = (".md", ".rst", ".adoc", ".feature")
PLAN_DIRS = {"docs", "doc", "plans", "plan", "specs", "spec", "adr", "rfcs"}
OTHER_CODE = {".js": "JavaScript", ".jsx": "JavaScript", ".mjs": "JavaScript", ".ts": "TypeScript",
              ".tsx": "TypeScript", ".go": "Go", ".rs": "Rust", ".java": "Java", ".kt": "Kotlin", ".rb": "Ruby",
              ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++", ".cs": "C#", ".swift": "Swift",
              ".php": "PHP", ".scala": "Scala", ".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang",
              ".sh": "shell", ".lua": "Lua", ".dart": "Dart", ".clj": "Clojure", ".hs": "Haskell"}


# -- Python files ---------------------------------------------------------------------------------------

def module_name(path: str) -> str:
    """`src/ledger/billing.py` -> `ledger.billing`; a package's `__init__.py` is the package."""
    p = path
    for root in SOURCE_ROOTS:
        if p.startswith(root):
            p = p[len(root):]
            break
    parts = list(PurePosixPath(p).with_suffix("").parts)
    if parts and parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def module_key(path: str) -> str:
    """The module a file belongs to for module_spread and cross_refs."""
    if path.endswith(".py"):
        return ".".join(module_name(path).split(".")[:2])
    parts = PurePosixPath(path).parts
    return parts[0] if len(parts) > 1 else "."


def is_plan(path: str) -> bool:
    return path.lower().endswith(PLAN_SUFFIXES) or bool(set(PurePosixPath(path).parts[:-1]) & PLAN_DIRS)


@dataclass
class PyInfo:
    ok: bool
    imports: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)
    complexity: int = 0


def _sig(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    ret = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    prefix = "async " if isinstance(node, ast.AsyncFunctionDef) else ""
    return f"{prefix}({ast.unparse(node.args)}){ret}"


_PY_CACHE: dict[str, PyInfo] = {}
_BLOB_INFO: dict[str, PyInfo] = {}


def analyze_python(src: bytes) -> PyInfo:
    """Imports, public signatures and radon cyclomatic complexity of one Python file (cached by content)."""
    key = hashlib.sha1(src).hexdigest()
    if key in _PY_CACHE:
        return _PY_CACHE[key]
    from radon.complexity import cc_visit
    from radon.visitors import Class

    try:
        text = src.decode("utf-8")
        tree = ast.parse(text)
        blocks = cc_visit(text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        info = PyInfo(ok=False)
    else:
        info = PyInfo(ok=True, complexity=sum(b.complexity for b in blocks if not isinstance(b, Class)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                info.imports += [(a.name, 0, ()) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                info.imports.append((node.module or "", node.level, tuple(a.name for a in node.names)))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
                info.signatures[node.name] = _sig(node)
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = ", ".join(ast.unparse(b) for b in node.bases)
                info.signatures[node.name] = f"class({bases})"
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and not item.name.startswith("_"):
                        info.signatures[f"{node.name}.{item.name}"] = _sig(item)
    _PY_CACHE[key] = info
    return info


def resolve_imports(mod: str, is_package: bool, info: PyInfo, internal: set[str]) -> set[str]:
    """The internal modules one module imports (longest known prefix of each imported name)."""
    out: set[str] = set()

    def longest(name: str) -> str | None:
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            cand = ".".join(parts[:k])
            if cand in internal:
                return cand
        return None

    for name, level, names in info.imports:
        if level:
            base = mod.split(".") if is_package else mod.split(".")[:-1]
            base = base[: len(base) - (level - 1)] if level > 1 else base
            target = ".".join([*base, *([name] if name else [])])
        else:
            target = name
        if not target:
            continue
        hits = [longest(f"{target}.{n}") for n in names if n != "*"] if names else []
        hits = [h for h in hits if h] or [longest(target)]
        out.update(h for h in hits if h and h != mod)
    return out


class ImportGraph:
    """Internal import edges of every Python file at one commit."""

    def __init__(self, repo: GitRepo, rev: str):
        infos = {p: _BLOB_INFO.get(sha) or _BLOB_INFO.setdefault(sha, analyze_python(repo.read_blob(sha)))
                 for p, sha in repo.blobs_at(rev, ".py").items()}
        self.modules = {module_name(p): p for p in infos}
        internal = set(self.modules)
        self.edges = {module_name(p): resolve_imports(module_name(p), p.endswith("__init__.py"), info, internal)
                      for p, info in infos.items()}
        self._depth: dict[str, int] = {}

    def depth(self, mod: str, stack: frozenset[str] = frozenset()) -> int:
        if mod in self._depth:
            return self._depth[mod]
        best = 0
        for child in self.edges.get(mod, ()):
            if child not in stack and child != mod:
                best = max(best, 1 + self.depth(child, stack | {mod}))
        if not stack:
            self._depth[mod] = best
        return best


# -- one range -------------------------------------------------------------------------------------------

def range_inputs(repo: GitRepo, a: str, b: str, graphs: dict[str, ImportGraph]) -> tuple[dict[str, float | None],
                                                                                           list[str]]:
    """The seven raw inputs of the diff A..B, and the reasons of the ones that are missing."""
    errors: list[str] = []
    files = repo.diff_numstat(a, b)
    paths = [p for p, _, _ in files]
    vals: dict[str, float | None] = {
        "files_touched": float(len(paths)),
        "module_spread": float(len({module_key(p) for p in paths})),
        "plan_size_kb": sum(len(repo.blob(b, p) or b"") for p in paths if is_plan(p)) / 1024.0,
    }
    py = [p for p in paths if p.endswith(".py")]
    other = Counter(OTHER_CODE[s] for p in paths if (s := PurePosixPath(p).suffix.lower()) in OTHER_CODE)
    if other:
        named = ", ".join(f"{n} {lang}" for lang, n in sorted(other.items()))
        errors.append(f"dep_depth, delta_cyclomatic, interface_delta, cross_refs: measured on Python only; "
                      f"not measured for {named} file(s)")
    if not py:
        for k in CODE_INPUTS:
            vals[k] = None if other else 0.0
        if other:
            errors.append("dep_depth, delta_cyclomatic, interface_delta, cross_refs: no Python file touched: missing")
        return vals, errors
    cc = 0
    iface = 0
    for p in py:
        old, new = repo.blob(a, p), repo.blob(b, p)
        ia = analyze_python(old) if old is not None else PyInfo(ok=True)
        ib = analyze_python(new) if new is not None else PyInfo(ok=True)
        bad = [rev for rev, info in (("A", ia), ("B", ib)) if not info.ok]
        if bad:
            errors.append(f"delta_cyclomatic, interface_delta: {p} does not parse at {'/'.join(bad)}: counted 0")
            continue
        cc += ib.complexity - ia.complexity
        for name in set(ia.signatures) | set(ib.signatures):
            if ia.signatures.get(name) != ib.signatures.get(name):
                iface += 1
    if b not in graphs:
        graphs[b] = ImportGraph(repo, b)
    g = graphs[b]
    touched = sorted({module_name(p) for p in py if module_name(p) in g.modules})
    vals["delta_cyclomatic"] = float(cc)
    vals["interface_delta"] = float(iface)
    vals["dep_depth"] = float(max((g.depth(m) for m in touched), default=0))
    vals["cross_refs"] = float(sum(1 for m in touched for t in g.edges.get(m, ())
                                   if module_key(g.modules[t]) != module_key(g.modules[m])))
    return vals, errors


# -- scopes of a day ---------------------------------------------------------------------------------------

def _range_of_window(repo: GitRepo, text: str | None, start: str | None, end: str | None) -> tuple[str, str] | str:
    if text and ".." in text:
        start, end = [x for x in text.replace("...", "..").split("..", 1)]
    if not start or not end:
        return "no commit range recorded"
    a, b = repo.resolve(start.strip()), repo.resolve(end.strip())
    if a is None or b is None:
        missing = start if a is None else end
        return f"commit {missing.strip()[:12]} of the range is not in the repository"
    return a, b


def cls_day(conn: duckdb.DuckDBPyConnection, repo: GitRepo | None, no_repo: str, day: str, tz: str,
            graphs: dict[str, ImportGraph] | None = None) -> list[dict[str, Any]]:
    """Replace the day's cls_features rows: raw inputs, then z-scores against the trailing 90 days."""
    d = date.fromisoformat(day)
    graphs = {} if graphs is None else graphs
    conn.execute("DELETE FROM cls_features WHERE day = ?", [d])
    if repo is None:
        return []
    zone = ZoneInfo(tz)
    rows: list[dict[str, Any]] = []
    todays = [c for c in repo.history() if c.ts.astimezone(zone).date() == d]
    if todays:
        a, b = repo.parent_or_empty(todays[0].sha), todays[-1].sha
        vals, errs = cached_range_inputs(repo, a, b, graphs)
        rows.append({"scope": "day", "range_start": a, "range_end": b, **vals, "input_errors": errs})
    wins = conn.execute("""SELECT w."window", any_value(w.commit_range),
               any_value(c.commit_start), any_value(c.commit_end)
        FROM windows w LEFT JOIN churn_records c ON c."window" = w."window" AND c.source = 'agentos'
             AND NOT c.superseded
        WHERE w.source = 'agentos' AND w.day = ? AND NOT w.superseded
        GROUP BY 1 ORDER BY 1""", [d]).fetchall()
    for wid, text, start, end in wins:
        rng = _range_of_window(repo, text, start, end)
        if rng == "no commit range recorded":
            continue
        if isinstance(rng, str):
            rows.append({"scope": f"window:{wid}", "range_start": start, "range_end": end,
                         **dict.fromkeys(INPUTS), "input_errors": [f"cls: {rng}"]})
            continue
        vals, errs = cached_range_inputs(repo, rng[0], rng[1], graphs)
        rows.append({"scope": f"window:{wid}", "range_start": rng[0], "range_end": rng[1], **vals,
                     "input_errors": errs})
    for r in rows:
        r.update({"day": d, "repo_id": repo.repo_id})
        r["input_errors"] = r["input_errors"] or None
    insert_rows(conn, "cls_features", rows)
    _score(conn, d, repo, tz, graphs)
    return rows


_RANGES: dict[tuple[str, str, str], tuple[dict[str, float | None], list[str]]] = {}


def cached_range_inputs(repo: GitRepo, a: str, b: str,
                        graphs: dict[str, ImportGraph]) -> tuple[dict[str, float | None], list[str]]:
    """range_inputs of A..B, once per process: the inputs of a commit range cannot change."""
    key = (str(repo.path), a, b)
    if key not in _RANGES:
        _RANGES[key] = range_inputs(repo, a, b, graphs)
    vals, errs = _RANGES[key]
    return dict(vals), list(errs)


def git_baseline(repo: GitRepo, d: date, tz: str, graphs: dict[str, ImportGraph]) -> dict[str, list[float]]:
    """Every input's values over the days D-89 .. D of main's first-parent history, one per day with commits
    (the day's range, as the `day` scope measures it), read from git whether or not a day was materialized."""
    zone = ZoneInfo(tz)
    lo = d - timedelta(days=TRAILING_DAYS - 1)
    by_day: dict[date, list[str]] = {}
    for c in repo.history():
        cd = c.ts.astimezone(zone).date()
        if lo <= cd <= d:
            by_day.setdefault(cd, []).append(c.sha)
    xs: dict[str, list[float]] = {name: [] for name in INPUTS}
    for _day, shas in sorted(by_day.items()):
        vals, _ = cached_range_inputs(repo, repo.parent_or_empty(shas[0]), shas[-1], graphs)
        for name in INPUTS:
            if vals[name] is not None:
                xs[name].append(vals[name])
    return xs


def _score(conn: duckdb.DuckDBPyConnection, d: date, repo: GitRepo, tz: str, graphs: dict[str, ImportGraph]) -> None:
    repo_id = repo.repo_id
    cols = ", ".join(INPUTS)
    stats: dict[str, tuple[int, float, float]] = {}
    for name, xs in git_baseline(repo, d, tz, graphs).items():
        if xs:
            mean = sum(xs) / len(xs)
            std = math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))
            stats[name] = (len(xs), mean, std)
    today = conn.execute(f"SELECT scope, {cols}, input_errors FROM cls_features WHERE day = ? AND repo_id = ?",
                         [d, repo_id]).fetchall()
    for scope, *values, input_errors in today:
        errors = list(input_errors or [])
        upd: dict[str, Any] = {}
        cls = 0.0
        for name, x in zip(INPUTS, values, strict=True):
            n, mean, std = stats.get(name, (0, 0.0, 0.0))
            if x is None:
                z = 0.0
                errors.append(f"cls: {name} missing, contributes 0")
            elif std == 0:
                z = 0.0
                errors.append(f"cls: z({name}) has no spread over the trailing {TRAILING_DAYS} days of git history "
                              f"(n={n}), contributes 0")
            else:
                z = (x - mean) / std
            upd[f"z_{name}"] = z
            cls += WEIGHTS[name] * z
        measured = any(v is not None for v in values)
        upd["cls"] = cls if measured else None
        upd["review"] = (cls > REVIEW_THRESHOLD) if measured else None
        if not measured:
            errors.append("cls: no input could be measured: CLS undefined")
        upd["errors"] = errors or None
        sets = ", ".join(f"{k} = ?" for k in upd)
        conn.execute(f"UPDATE cls_features SET {sets} WHERE day = ? AND repo_id = ? AND scope = ?",
                     [*upd.values(), d, repo_id, scope])
