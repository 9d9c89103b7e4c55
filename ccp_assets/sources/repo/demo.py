"""A small real git repository whose history evolves over the demo days.

Churn, CLS and feature metrics need real `git log`/`blame`/`diff` answers, so this drives the git CLI
with fixed author/committer dates and an isolated config: the same seed gives the same commit SHAs.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

from ccp_assets.demo.ids import rng_for
from ccp_assets.demo.sink import Sink
from ccp_assets.demo.text import NOUNS, VERBS
from ccp_assets.demo.world import FEATURES, Commit, FeatureSpec, Git, Hunk, RepoResult

PKG = "src/ledger"
MODULES = ["models", "ingest", "billing", "export", "report", "quota"]
COMMIT_HOURS = [(11, 12), (15, 3), (18, 41)]


FAILING_FEATURE = "csv-export"
"""Its scenarios fail in every JUnit report: the feature is never 'implemented'."""
LATE_FEATURE = "quota-headroom"
"""Fails on the day it lands, passes from the next day on: feature delta over time."""


def _function(rng: random.Random, name: str) -> list[str]:
    noun = rng.choice(NOUNS)
    return [
        f"def {name}(rows: list[dict], threshold: float = {rng.randint(50, 95) / 100}) -> list[dict]:",
        f'    """Keep {noun} rows above the threshold; callers rely on input order."""',
        "    out = []",
        "    for row in rows:",
        f'        value = row.get("{noun}", 0) * {rng.randint(2, 9)}',
        "        if value >= threshold:",
        "            out.append(row)",
        "    return out",
        "",
        "",
    ]


class _Tree:
    """The working tree kept in memory; edits are recorded as hunks for the transcripts."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.files: dict[str, list[str]] = {}
        self.functions: dict[str, list[str]] = {m: [] for m in MODULES}
        self.counter = 0

    def module_path(self, module: str) -> str:
        return f"{PKG}/{module}.py"

    def new_name(self, module: str) -> str:
        self.counter += 1
        return f"{self.rng.choice(VERBS)}_{module}_{self.rng.choice(NOUNS)}_{self.counter}"

    def init_module(self, module: str) -> None:
        lines = [f'"""{module.capitalize()} logic of the ledger demo app."""', "", "from __future__ import annotations", "", ""]
        self.files[self.module_path(module)] = lines
        for _ in range(2):
            self.add_function(module, record=False)

    def add_function(self, module: str, record: bool = True) -> Hunk | None:
        path = self.module_path(module)
        old = self.files[path]
        name = self.new_name(module)
        self.functions[module].append(name)
        return self._replace(path, len(old), len(old), _function(self.rng, name), record)

    def modify_function(self, module: str) -> Hunk | None:
        """Change 1-3 body lines of an older function: the lines added earlier churn."""
        path = self.module_path(module)
        lines = self.files[path]
        idx = [i for i, ln in enumerate(lines) if ln.startswith("        value = ") or ln.startswith("def ")]
        if not idx:
            return None
        i = self.rng.choice(idx)
        if lines[i].startswith("def "):
            new = [re.sub(r"threshold: float = [0-9.]+", f"threshold: float = {self.rng.randint(10, 99) / 100}", lines[i])]
        else:
            new = [f'        value = row.get("{self.rng.choice(NOUNS)}", 0) * {self.rng.randint(2, 9)}',
                   "        value = max(value, 0)"]
        return self._replace(path, i, i + 1, new, True)

    def delete_function(self, module: str) -> Hunk | None:
        path = self.module_path(module)
        if len(self.functions[module]) < 3:
            return None
        name = self.functions[module].pop(0)
        lines = self.files[path]
        start = next(i for i, ln in enumerate(lines) if ln.startswith(f"def {name}("))
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("def ")), len(lines))
        return self._replace(path, start, end, [], True)

    def _replace(self, path: str, i: int, j: int, new: list[str], record: bool) -> Hunk | None:
        old = self.files[path]
        self.files[path] = old[:i] + new + old[j:]
        if not record:
            return None
        c0, c1 = max(0, i - 3), min(len(old), j + 3)
        body = [" " + ln for ln in old[c0:i]] + ["-" + ln for ln in old[i:j]] + ["+" + ln for ln in new]
        body += [" " + ln for ln in old[j:c1]]
        old_n, new_n = c1 - c0, (c1 - c0) - (j - i) + len(new)
        return Hunk(path, c0 + 1, old_n, c0 + 1, new_n, body, "\n".join(old[c0:j]), "\n".join(old[c0:i] + new),
                    "\n".join(old))


def _feature_text(f: FeatureSpec) -> str:
    out = [f"@id:{f.feature_id} @module:{f.module}", f"Feature: {f.title}",
           f"  As a team lead I want {f.title.lower()} so that the numbers can be trusted.", ""]
    for s in f.scenarios:
        out += [f"  Scenario: {s}", f"    Given a ledger with {len(s) % 5 + 2} tenants",
                f"    When I run the {f.module} step", "    Then the result matches the expected table", ""]
    return "\n".join(out)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _junit(day: dt.date, features: list[FeatureSpec], failing: set[str], rng: random.Random) -> tuple[str, list[str]]:
    cases: list[str] = []
    n_fail = 0
    total_time = 0.0
    for f in features:
        for k, s in enumerate(f.scenarios):
            t = round(rng.uniform(0.01, 0.9), 3)
            total_time += t
            line = 5 + 5 * k  # 1-based line of the Scenario: keyword in _feature_text
            props = (f'<properties><property name="feature_id" value="{f.feature_id}"/>'
                     f'<property name="spec_ref" value="features/{f.stem}.feature:{line}"/></properties>')
            head = f'    <testcase classname="tests.bdd.test_{f.stem}" name="test_{_slug(s)}" time="{t}">'
            if f.feature_id in failing:
                n_fail += 1
                cases.append(f'{head}{props}<failure message="AssertionError: expected table differs">'
                             f"Then the result matches the expected table\nE   AssertionError: row 2: "
                             f"expected 3 columns, got 2</failure></testcase>")
            else:
                cases.append(f"{head}{props}</testcase>")
    passing = [f.feature_id for f in features if f.feature_id not in failing]
    stamp = f"{day.isoformat()}T18:30:00.000000"
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n  <testsuite name="pytest" errors="0" '
           f'failures="{n_fail}" skipped="0" tests="{len(cases)}" time="{total_time:.3f}" timestamp="{stamp}" '
           f'hostname="demo-ci">\n' + "\n".join(cases) + "\n  </testsuite>\n</testsuites>\n")
    return xml, passing


def commits_expected(days: int) -> int:
    """Initial commit plus three a day: tests and docs rely on this count."""
    return 1 + len(COMMIT_HOURS) * days


def _blob(path: str, text: str) -> bytes:
    data = text.encode("utf-8")
    return f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"


def build_repo(sink: Sink, root: Path, start: dt.date, days: int, seed: int) -> RepoResult:
    """Build the whole history in memory, load it with one `git fast-import`, check it out.

    One subprocess instead of three per commit keeps this well under a second; commit SHAs only depend
    on contents, messages and the fixed dates, so they are the same on every run.
    """
    rng = rng_for(seed, "repo")
    root.mkdir(parents=True, exist_ok=True)
    res = RepoResult(path=root)
    tree = _Tree(rng)
    for m in MODULES:
        tree.init_module(m)
    tree.files[f"{PKG}/__init__.py"] = ['"""Ledger demo app: the repository the demo sessions work on."""']
    tree.files["README.md"] = ["# ledger", "", "Demo repository generated by `ccp demo-data`."]
    tree.files[".gitignore"] = ["reports/", "__pycache__/"]
    tree.files["pyproject.toml"] = ['[project]', 'name = "ledger"', 'version = "0.1.0"']
    first_day = {f.feature_id: min(f.first_day, days - 1) for f in FEATURES}
    stream: list[bytes] = []
    committed: dict[str, str] = {}

    def commit(when: dt.datetime, message: str) -> None:
        snapshot = {path: "\n".join(lines) + "\n" for path, lines in tree.files.items()}
        for f in FEATURES:
            if first_day[f.feature_id] <= (when.date() - start).days:
                snapshot[f"features/{f.stem}.feature"] = _feature_text(f)
        stamp = f"Demo Dev <dev@demo.invalid> {int(when.timestamp())} +0000"
        msg = (message + "\n").encode("utf-8")
        stream.append(f"commit refs/heads/main\nmark :{len(res.commits) + 1}\nauthor {stamp}\ncommitter {stamp}\n"
                      f"data {len(msg)}\n".encode() + msg)
        if res.commits:
            stream.append(f"from :{len(res.commits)}\n".encode())
        stream.extend(_blob(p, text) for p, text in sorted(snapshot.items()) if committed.get(p) != text)
        stream.append(b"\n")
        committed.update(snapshot)
        res.commits.append(Commit("", when.date(), when, message))

    commit(dt.datetime.combine(start, dt.time(8, 5), dt.UTC), "Initial ledger app with ingest and billing")
    for d in range(days):
        day = start + dt.timedelta(days=d)
        hunks: list[Hunk] = []
        for k, (h, m) in enumerate(COMMIT_HOURS):
            module = rng.choice(MODULES)
            ops = [tree.add_function(module), tree.modify_function(rng.choice(MODULES))]
            if (d + k) % 2 == 0:
                ops.append(tree.delete_function(rng.choice(MODULES)))
            hunks += [x for x in ops if x is not None]
            commit(dt.datetime.combine(day, dt.time(h, m), dt.UTC),
                   f"{rng.choice(VERBS).capitalize()} {module} {rng.choice(NOUNS)} handling")
        res.hunks_by_day[day] = hunks
        present = [f for f in FEATURES if first_day[f.feature_id] <= d]
        failing = {FAILING_FEATURE} | {f.feature_id for f in present if f.feature_id == LATE_FEATURE and first_day[f.feature_id] == d}
        xml, passing = _junit(day, present, failing, rng)
        sink.write_bytes("repo", root / "reports" / f"junit-{day.isoformat()}.xml", xml.encode("utf-8"))
        res.passing_by_day[day] = passing
        res.features_by_day[day] = [f.feature_id for f in present]
    git = Git(root)
    git.run("init", "-q", "-b", "main")
    git.run("fast-import", "--quiet", stdin=b"".join(stream) + b"done\n")
    git.run("reset", "-q", "--hard", "main")
    for c, sha in zip(res.commits, git.run("log", "--reverse", "--format=%H", "main").split(), strict=True):
        c.sha = sha
    for path, text in sorted(committed.items()):
        sink.record("repo", root / path, text.count("\n"), len(text.encode("utf-8")), True)
    return res
