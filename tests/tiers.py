"""The suite's two tiers, classified at collection so a new test needs no thought: `make test-fast` runs
`-m "not slow"` (unit, normalizers on in-memory DuckDB, the CLI), `make test` runs everything.

A test is `slow` when it, a fixture it uses, or a helper of the tests package that either calls, runs the
Dagster graph (`materialize_all`, `runs.materialize`, `ccp materialize` in a subprocess, Dagster's
`materialize`), or when it drives a browser, needs the PostgreSQL server (the `postgres` half of the
aggregator's two stores; the SQLite half stays fast), or is a BDD scenario, a browser or a scale test. A
test may also say `pytest.mark.slow` itself. A fast-tier run names any unmarked test that took longer than
`SLOW_SECONDS`, so a misclassification shows instead of slowing the tier down silently.

The same pass orders the collection for pytest-xdist (`--dist loadfile --no-loadscope-reorder`): a file stays on
one worker (its module fixtures run once), and the files that run the graph most are handed out first, so the
many fast files fill the end of both workers instead of one worker finishing a whole-graph file alone
(longest-first). xdist's own reorder (by number of tests) put the few-test whole-graph files last. Not
`--dist loadgroup`: with pytest 9.2 it silently stops grouping (pytest-xdist issue 1386).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
SLOW_DIRS = frozenset({"bdd", "browser", "scale"})
SLOW_FIXTURES = frozenset({"pg_server", "playwright_instance", "browser_context", "page", "chromium_path"})
GRAPH_NAMES = frozenset({"materialize", "execute_in_process"})
"""Names whose call runs the graph: runs.materialize, Dagster's own; and every `materialize_*` / `_materialize*`
helper (`materialize_all`, `materialize_half`, ...), even one imported inside a fixture."""
GRAPH_PREFIXES = ("materialize_", "_materialize")
GRAPH_ARGS = frozenset({"materialize"})
"""A string argument that makes a subprocess run the graph: `ccp materialize`."""
SLOW_SECONDS = 20.0
RUNS_GRAPH = "ccp_runs_graph"


def runs_graph(fn: Any) -> Any:
    """For a fixture or helper that runs the graph where the scan cannot see it (a `ccp report` that brings the
    warehouse up to date first): every test using it is slow. A test itself says `@pytest.mark.slow`."""
    setattr(fn, RUNS_GRAPH, True)
    return fn


def _codes(code: CodeType) -> Iterable[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _codes(const)


class _Scanner:
    """Does a function (or anything of the tests package it names) run the graph? Memoized per function."""

    def __init__(self) -> None:
        self.memo: dict[Any, bool] = {}

    def runs_graph(self, fn: Any) -> bool:
        fn = inspect.unwrap(fn)
        code = getattr(fn, "__code__", None)
        if code is None or getattr(fn, RUNS_GRAPH, False):
            return code is not None
        if code not in self.memo:
            self.memo[code] = False  # a cycle counts as "no" until proven otherwise
            self.memo[code] = self._scan(code, getattr(fn, "__globals__", {}))
        return self.memo[code]

    def _scan(self, code: CodeType, names: dict[str, Any]) -> bool:
        for c in _codes(code):
            if any(n in GRAPH_NAMES or n.startswith(GRAPH_PREFIXES) for n in c.co_names) or GRAPH_ARGS.intersection(
                    k for k in c.co_consts if isinstance(k, str)):
                return True
            for name in c.co_names:
                obj = names.get(name)
                if inspect.isfunction(obj) and obj.__module__.startswith("tests.") and self.runs_graph(obj):
                    return True
        return False


def _fixture_defs(item: pytest.Item) -> list[Any]:
    info = getattr(item, "_fixtureinfo", None)
    return [defs[-1] for defs in (info.name2fixturedefs.values() if info else ()) if defs]


def graph_runs(item: pytest.Item, scanner: _Scanner) -> set[Any]:
    """What runs the graph for this test: itself (its node id), a fixture of wider scope (once for all its
    users), a function-scoped fixture (once per test). Empty when nothing does."""
    out: set[Any] = set()
    fn = getattr(item, "function", None)
    if fn is not None and scanner.runs_graph(fn):
        out.add(item.nodeid)
    for d in _fixture_defs(item):
        if scanner.runs_graph(d.func):
            out.add(d if d.scope != "function" else (d, item.nodeid))
    return out


def _in_slow_dir(item: pytest.Item) -> bool:
    return Path(str(item.path)).resolve().relative_to(TESTS).parts[0] in SLOW_DIRS


def is_slow(item: pytest.Item, runs: set[Any]) -> bool:
    if runs or _in_slow_dir(item) or item.get_closest_marker("browser"):
        return True
    if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)  # the PostgreSQL half of a two-store test:
    return callspec is not None and any(v == "postgres" for v in callspec.params.values() if isinstance(v, str))


def classify(items: list[pytest.Item]) -> None:
    """Mark the slow tests; under xdist, order the files heaviest first (graph runs, then other slow tests)."""
    scanner = _Scanner()
    runs = {i.nodeid: graph_runs(i, scanner) for i in items}
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        if not item.get_closest_marker("slow") and is_slow(item, runs[item.nodeid]):
            item.add_marker(pytest.mark.slow)
        by_file.setdefault(str(item.path), []).append(item)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the order the controller hands files out; a plain run keeps its own
        def weight(tests: list[pytest.Item]) -> int:  # a graph run (or a BDD / browser test) as 3 PostgreSQL tests
            graph = set().union(*(runs[i.nodeid] for i in tests))
            return 3 * len(graph) + sum(3 if _in_slow_dir(i) else 1 for i in tests if i.get_closest_marker("slow"))

        ordered = sorted(by_file.values(), key=weight, reverse=True)  # stable: ties keep collection order
        items[:] = [i for tests in ordered for i in tests]


_durations: dict[str, float] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    classify(items)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Setup + call + teardown of each unmarked test (reports reach the controller under xdist too)."""
    if "slow" not in report.keywords:
        _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    late = sorted(((s, n) for n, s in _durations.items() if s > SLOW_SECONDS), reverse=True)
    if late:
        terminalreporter.section(f"unmarked tests slower than {SLOW_SECONDS:.0f} s (mark them slow?)")
        for s, n in late:
            terminalreporter.line(f"{s:6.1f} s  {n}")
