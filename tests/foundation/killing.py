"""What the killed-run tests share (issue 14 item 1): `ccp` in its own process group, evidence-based kill
points, waits on a pipe or a predicate, and the checks that nothing is left held.

The tests are split over three files (test_killed_runs*.py) so the two pytest-xdist workers can share them: the
kill points (the heaviest, about 100 s of CPU on one worker before), the runs waiting on the warehouse slot, and
the Ctrl-C inside a step.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import CCP

POOL = "duckdb_warehouse"


def popen(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`ccp` in its own process group (as a shell job is), stderr kept for the assertions."""
    return subprocess.Popen([str(CCP), *args], env=env, cwd=env["HOME"], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def instance():
    from dagster import DagsterInstance

    return DagsterInstance.get()


def create_instance() -> None:
    """Before polling it: two processes creating one SQLite instance race in Dagster."""
    with instance():
        pass


def step_started(step_key: str) -> Callable[[Path], bool]:
    """Evidence: some run in the instance logged STEP_START for `step_key`."""
    from dagster import DagsterEventType

    def seen(_: Path) -> bool:
        with instance() as inst:
            return any(e.step_key == step_key
                       for r in inst.get_runs()
                       for e in inst.all_logs(r.run_id, of_type=DagsterEventType.STEP_START))
    return seen


def landing_file(ccp_home: Path) -> bool:
    return any((ccp_home / "landing").rglob("*.parquet"))


KILL_POINTS = {
    "landing": landing_file,
    "normalization": step_started("source_claude_code"),  # lands, normalizes and checks in one step
    "measurements": step_started("unified_and_measurements"),
}


def wait_for(pred: Callable[[], bool], proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        if proc.poll() is not None:
            pytest.fail(f"ccp exited {proc.returncode} before the kill point:\n{proc.stderr.read()}")
        time.sleep(0.1)
    pytest.fail("kill point never reached")


def read_stderr_until(proc: subprocess.Popen, needle: str, timeout: float = 240) -> str:
    """stderr up to (at least) the first line containing `needle`, read from the raw pipe."""
    fd, seen, deadline = proc.stderr.fileno(), b"", time.monotonic() + timeout
    while needle.encode() not in seen:
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail(f"never saw {needle!r}; rc={proc.poll()}; stderr so far:\n{seen.decode()}")
        if select.select([fd], [], [], 1)[0]:
            seen += os.read(fd, 65536)
    return seen.decode()


def leaf_diff(a, b, path: str = "") -> list[str]:
    """Where two JSON values differ, as `path: got != want` (pytest truncates nested dicts)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in leaf_diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in leaf_diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def no_slot_held() -> None:
    with instance() as inst:
        info = inst.event_log_storage.get_concurrency_info(POOL)
        assert not info.claimed_slots and not info.pending_steps, info


def next_run_finishes(env: dict[str, str]) -> subprocess.CompletedProcess:
    """The `ccp materialize` after a kill or an interrupt: it must finish by itself, without a traceback."""
    nxt = subprocess.run([str(CCP), "materialize"], env=env, cwd=env["HOME"], capture_output=True, text=True,
                         timeout=400)
    assert nxt.returncode == 0, nxt.stderr
    assert "Traceback" not in nxt.stderr
    return nxt
