"""The suite's two tiers, classified at collection so a new test needs no thought: `make test-fast` runs
`-m "not slow"` (unit, normalizers on in-memory DuckDB, the CLI), `make test` runs everything.

A test is `slow` when it, a fixture it uses, or a helper of the tests package that either calls, runs the
Dagster graph (`materialize_all`, `runs.materialize`, `ccp materialize` in a subprocess, Dagster's
`materialize`), or when it drives a browser, needs the PostgreSQL server (the `postgres` half of the
aggregator's two stores; the SQLite half stays fast), or is a BDD scenario, a browser or a scale test. A
test may also say `pytest.mark.slow` itself. A fast-tier run names any unmarked test that took longer than
`SLOW_SECONDS`, so a misclassification shows instead of slowing the tier down silently.

The same pass orders the collection for pytest-xdist (`--dist loadgroup --no-loadscope-reorder`): a test
file whose tests share a module-scoped fixture stays one unit (its fixture runs once), every other test is
its own unit, and the slow units are handed out first, so the many fast tests fill the end of both workers
instead of one worker finishing a whole-graph file alone (longest-first scheduling).
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
SLOW_DIRS = frozenset({"bdd", "browser", "scale", "ui"})
SLOW_FIXTURES = frozenset({"pg_server", "playwright_instance", "browser_context", "page", "chromium_path"})
GRAPH_NAMES = frozenset({"materialize", "execute_in_process"})
"""Names whose call runs the graph: runs.materialize, Dagster's own; and every `materialize_*` / `_materialize*`
helper (`materialize_all`, `materialize_half`, ...), even one imported inside a fixture."""
GRAPH_PREFIXES = ("materialize_", "_materialize")
GRAPH_ARGS = frozenset({"materialize"})
"""A string argument that makes a subprocess run the graph: `ccp materialize`."""
SLOW_SECONDS = 10.0
RUNS_GRAPH = "ccp_runs_graph"


def runs_graph(fn: Any) -> Any:
    """For a fixture or helper that runs the graph where the scan cannot see it (a `ccp report` that brings the
    warehouse up to date first): every test using it is slow. A test itself says `@pytest.mark.slow`."""
    setattr(fn, RUNS_GRAPH, True)
    return fn
_SHARED_SCOPES = frozenset({"module", "package", "class"})


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


def is_slow(item: pytest.Item, scanner: _Scanner) -> bool:
    rel = Path(str(item.path)).resolve().relative_to(TESTS)
    if rel.parts[0] in SLOW_DIRS or item.get_closest_marker("browser"):
        return True
    if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(v == "postgres" for v in callspec.params.values() if isinstance(v, str)):  # the PostgreSQL half of a two-store test
        return True
    fn = getattr(item, "function", None)
    if fn is not None and scanner.runs_graph(fn):
        return True
    return any(scanner.runs_graph(d.func) for d in _fixture_defs(item))


def _shares_module_fixture(item: pytest.Item) -> bool:
    return any(d.scope in _SHARED_SCOPES for d in _fixture_defs(item))


def classify(items: list[pytest.Item]) -> None:
    """Mark the slow tests, group the files that share a module fixture, and put the slow units first."""
    scanner = _Scanner()
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        if not item.get_closest_marker("slow") and is_slow(item, scanner):
            item.add_marker(pytest.mark.slow)
        by_module.setdefault(str(item.path), []).append(item)
    units: list[tuple[int, list[pytest.Item]]] = []
    for path, module_items in by_module.items():
        if any(_shares_module_fixture(i) for i in module_items):
            for i in module_items:
                i.add_marker(pytest.mark.xdist_group(Path(path).relative_to(TESTS).as_posix()))
            units.append((sum(1 for i in module_items if i.get_closest_marker("slow")), module_items))
        else:
            units.extend((1 if i.get_closest_marker("slow") else 0, [i]) for i in module_items)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the order the controller hands units out; a plain run keeps its own
        units.sort(key=lambda u: -u[0])  # stable: slow units first, a grouped file's tests together and in order
        items[:] = [i for _, unit in units for i in unit]


_durations: dict[str, float] = {}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the xdist_group marks into node ids
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
