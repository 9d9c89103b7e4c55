"""Issue 14 item 1: a killed `ccp materialize` never wedges the product; a run waiting on a slot honours Ctrl-C.

Each kill is a SIGKILL of the `ccp materialize` process group at a point proven by evidence, not by a sleep:
a Parquet file in the landing zone (landing), a STEP_START of a normalizer or a measurement in the Dagster
event log. The next `ccp materialize` must finish by itself and `ccp report daily --json` must equal a clean
run's. The waiting tests put a live run of another warehouse job on the `duckdb_warehouse` slot (a real
process holding a real claim through Dagster's storage API, as a retention run would).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import CLAUDE_FIXTURE, REPO
from tests.helpers import CCP, ccp

pytestmark = pytest.mark.slow
POOL = "duckdb_warehouse"


def _popen(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`ccp` in its own process group (as a shell job is), stderr kept for the assertions."""
    return subprocess.Popen([str(CCP), *args], env=env, cwd=env["HOME"], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _instance():
    from dagster import DagsterInstance

    return DagsterInstance.get()


def _step_started(step_key: str):
    """Evidence: some run in the instance logged STEP_START for `step_key`."""
    from dagster import DagsterEventType

    def seen(_: Path) -> bool:
        with _instance() as inst:
            return any(e.step_key == step_key
                       for r in inst.get_runs()
                       for e in inst.all_logs(r.run_id, of_type=DagsterEventType.STEP_START))
    return seen


def _landing_file(ccp_home: Path) -> bool:
    return any((ccp_home / "landing").rglob("*.parquet"))


KILL_POINTS = {
    "landing": _landing_file,
    "normalization": _step_started("normalized_claude_code"),
    "measurements": _step_started("usage_cost"),
}


def _wait_for(pred, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        if proc.poll() is not None:
            pytest.fail(f"ccp exited {proc.returncode} before the kill point:\n{proc.stderr.read()}")
        time.sleep(0.1)
    pytest.fail("kill point never reached")


@pytest.fixture(scope="module")
def clean_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`ccp report daily --json` after one uninterrupted `ccp materialize` of the same fixture."""
    root = tmp_path_factory.mktemp("clean")
    (root / "dh").mkdir()
    (root / "home").mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", root / "dh" / "dagster.yaml")
    shutil.copytree(CLAUDE_FIXTURE, root / "claude")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update({"CCP_HOME": str(root / "ccp"), "DAGSTER_HOME": str(root / "dh"), "CLAUDE_CONFIG_DIR":
                str(root / "claude"), "CCP_TIMEZONE": "UTC", "HOME": str(root / "home")})
    ccp(env, "materialize")
    rep = json.loads(ccp(env, "report", "daily", "--json").stdout)
    assert rep["daily"], "the clean run reported no day: the comparison would prove nothing"
    return rep


def _leaf_diff(a, b, path: str = "") -> list[str]:
    """Where two JSON values differ, as `path: got != want` (pytest truncates nested dicts)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _leaf_diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _leaf_diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _no_slot_held() -> None:
    with _instance() as inst:
        info = inst.event_log_storage.get_concurrency_info(POOL)
        assert not info.claimed_slots and not info.pending_steps, info


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_materialize_then_next_run_finishes_and_reports_the_same(point, ccp_env, claude_fixture,
                                                                         clean_report):
    from dagster import DagsterRunStatus

    pred = KILL_POINTS[point]
    _create_instance()  # before polling it: two processes creating one SQLite instance race in Dagster
    proc = _popen(ccp_env.env, "materialize")
    _wait_for(lambda: pred(ccp_env.ccp_home), proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with _instance() as inst:
        dead = [r.run_id for r in inst.get_runs() if r.status == DagsterRunStatus.STARTED]
    if point != "landing":
        assert dead, "the kill left no STARTED run: the kill point came too late to test recovery"

    nxt = subprocess.run([str(CCP), "materialize"], env=ccp_env.env, cwd=ccp_env.env["HOME"],
                         capture_output=True, text=True, timeout=400)
    assert nxt.returncode == 0, nxt.stderr
    assert "Traceback" not in nxt.stderr
    for run_id in dead:
        assert f"recovered run {run_id[:8]}" in nxt.stderr
    with _instance() as inst:
        for run_id in dead:
            run = inst.get_run_by_id(run_id)
            assert run.status == DagsterRunStatus.FAILURE
        statuses = [r.status for r in inst.get_runs()]
    assert statuses[0] == DagsterRunStatus.SUCCESS  # newest first: the run after the kill
    _no_slot_held()
    rep = json.loads(ccp(ccp_env.env, "report", "daily", "--json").stdout)
    assert rep == clean_report, _leaf_diff(rep, clean_report)


HOLDER = textwrap.dedent("""
    import time, uuid
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
    from ccp_assets import run_guard
    with DagsterInstance.get() as inst:
        run_id = str(uuid.uuid4())
        inst.add_run(DagsterRun(job_name="landing_retention", run_id=run_id, status=DagsterRunStatus.STARTED,
                                tags={"ccp/launched_by": "retention (test)", **run_guard.process_tags()}))
        inst.event_log_storage.initialize_concurrency_limit_to_default("duckdb_warehouse")
        claim = inst.event_log_storage.claim_concurrency_slot("duckdb_warehouse", run_id, "landing_retention")
        print(run_id if claim.is_claimed else "NOT CLAIMED", flush=True)
        time.sleep(900)
""")


@pytest.fixture
def slot_holder(ccp_env, claude_fixture):
    """A live process whose STARTED run holds the only `duckdb_warehouse` slot."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], env=ccp_env.env, stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    assert run_id and run_id != "NOT CLAIMED"
    yield proc, run_id
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _read_stderr_until(proc: subprocess.Popen, needle: str, timeout: float = 240) -> str:
    """stderr up to (at least) the first line containing `needle`, read from the raw pipe."""
    import select

    fd, seen, deadline = proc.stderr.fileno(), b"", time.monotonic() + timeout
    while needle.encode() not in seen:
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail(f"never saw {needle!r}; rc={proc.poll()}; stderr so far:\n{seen.decode()}")
        if select.select([fd], [], [], 1)[0]:
            seen += os.read(fd, 65536)
    return seen.decode()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_run_waiting_for_the_slot_says_so_and_honours_the_signal(sig, ccp_env, slot_holder):
    from dagster import DagsterRunStatus

    holder, holder_run = slot_holder
    proc = _popen(ccp_env.env, "materialize")
    said = _read_stderr_until(proc, "waiting for the duckdb_warehouse slot")
    assert f"held by run {holder_run[:8]} (retention (test), pid {holder.pid}" in said
    sent = time.monotonic()
    os.killpg(proc.pid, sig)  # what Ctrl-C (SIGINT) or `kill` of the job (SIGTERM) does
    _, rest = proc.communicate(timeout=30)
    took = time.monotonic() - sent
    assert proc.returncode == 128 + sig, rest
    assert took < 10, f"took {took:.1f}s to stop"
    assert "Traceback" not in rest
    last = rest.strip().splitlines()[-1]
    assert last.startswith(f"error: interrupted by {sig.name}: run ") and "waited for the warehouse slot" in last
    with _instance() as inst:
        mine = [r for r in inst.get_runs() if r.tags.get("ccp/launched_by") == "ccp materialize"]
        assert [r.status for r in mine] == [DagsterRunStatus.CANCELED]
        info = inst.event_log_storage.get_concurrency_info(POOL)
    assert {s.run_id for s in info.claimed_slots} == {holder_run}  # the holder's slot is not ours to free
    assert all(p.run_id != mine[0].run_id for p in info.pending_steps)


def test_a_waiting_run_recovers_a_holder_that_dies_and_finishes(ccp_env, slot_holder):
    from dagster import DagsterRunStatus

    holder, holder_run = slot_holder
    proc = _popen(ccp_env.env, "materialize")
    _read_stderr_until(proc, "waiting for the duckdb_warehouse slot")
    holder.kill()
    holder.wait()
    _, rest = proc.communicate(timeout=400)
    assert proc.returncode == 0, rest
    assert f"recovered run {holder_run[:8]}" in rest
    with _instance() as inst:
        assert inst.get_run_by_id(holder_run).status == DagsterRunStatus.FAILURE
    _no_slot_held()


def _create_instance() -> None:
    from dagster import DagsterInstance

    with DagsterInstance.get():
        pass


def test_a_run_interrupted_inside_a_step_stops_with_one_line_and_the_next_run_finishes(ccp_env, claude_fixture):
    """Ctrl-C during a step (not waiting): Dagster interrupts the step, its transaction rolls back."""
    from dagster import DagsterRunStatus

    from ccp_assets.run_watch import GRACE_S

    _create_instance()
    proc = _popen(ccp_env.env, "materialize")
    _wait_for(lambda: KILL_POINTS["normalization"](ccp_env.ccp_home), proc)
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - sent < GRACE_S + 5
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: interrupted by SIGINT: run ")
    with _instance() as inst:  # failed by Dagster's step interrupt, or canceled by run_watch after GRACE_S
        statuses = [r.status for r in inst.get_runs()]
    assert statuses in ([DagsterRunStatus.FAILURE], [DagsterRunStatus.CANCELED]), statuses
    _no_slot_held()
    nxt = subprocess.run([str(CCP), "materialize"], env=ccp_env.env, cwd=ccp_env.env["HOME"],
                         capture_output=True, text=True, timeout=400)
    assert nxt.returncode == 0, nxt.stderr
