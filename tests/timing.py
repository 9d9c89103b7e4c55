"""Per-test wall and CPU, to find where the suite waits instead of computing (issue 15).

Off unless `CCP_TEST_PROFILE` names a file: then each test process writes one JSON line per test to
`<that file>.<worker>` (`gw0`, `gw1`, or `main`): node id, wall (setup + call + teardown, `time.perf_counter`)
and CPU (user + sys of the test process and of the subprocesses it reaped, `getrusage`), so `wall - cpu` is
the time the test spent waiting (sleeps, polling, deadlines, a server it started that is still running is not
counted until reaped). `make test-profile` runs the slow tier with it and prints the biggest waits
(`python -m tests.timing FILE...`).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "CCP_TEST_PROFILE"


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    target = os.environ.get(ENV)
    if not target:
        yield
        return
    wall, cpu = time.perf_counter(), _cpu()
    yield
    row = {"test": item.nodeid, "wall": round(time.perf_counter() - wall, 3), "cpu": round(_cpu() - cpu, 3)}
    with open(f"{target}.{os.environ.get('PYTEST_XDIST_WORKER', 'main')}", "a") as f:
        f.write(json.dumps(row) + "\n")


def main(paths: list[str], top: int = 40) -> None:
    """Sum per worker and per file; list the tests whose wall exceeds their CPU by most."""
    rows = []
    for p in paths:
        for line in Path(p).read_text().splitlines():
            rows.append({**json.loads(line), "worker": Path(p).suffix[1:]})
    for w in sorted({r["worker"] for r in rows}):
        mine = [r for r in rows if r["worker"] == w]
        print(f"{w}: {len(mine)} tests, wall {sum(r['wall'] for r in mine):.0f} s, "
              f"cpu {sum(r['cpu'] for r in mine):.0f} s")
    files: dict[str, list[float]] = {}
    for r in rows:
        f = files.setdefault(r["test"].split("::")[0], [0.0, 0.0])
        f[0], f[1] = f[0] + r["wall"], f[1] + r["cpu"]
    print("\nfiles by wall (wall, cpu, wait):")
    for name, (w, c) in sorted(files.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{w:7.1f} {c:7.1f} {w - c:7.1f}  {name}")
    print("\ntests by wait (wall - cpu):")
    for r in sorted(rows, key=lambda r: r["cpu"] - r["wall"])[:top]:
        print(f"{r['wall']:7.1f} {r['cpu']:7.1f} {r['wall'] - r['cpu']:7.1f}  {r['test']}")


if __name__ == "__main__":
    main(sys.argv[1:])
