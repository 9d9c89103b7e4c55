"""Issue 14 item 1: a run waiting on the warehouse slot says so, honours Ctrl-C and `kill`, and recovers a
holder that dies. Another warehouse job's live run holds the `duckdb_warehouse` slot: a real process holding a
real claim through Dagster's storage API, as a retention run would. (Split from test_killed_runs.py so the two
xdist workers can share the killed-run tests.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.foundation.killing import POOL, instance, no_slot_held, popen, read_stderr_until

pytestmark = pytest.mark.slow

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


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_run_waiting_for_the_slot_says_so_and_honours_the_signal(sig, ccp_env, slot_holder):
    from dagster import DagsterRunStatus

    holder, holder_run = slot_holder
    proc = popen(ccp_env.env, "materialize")
    said = read_stderr_until(proc, "waiting for the duckdb_warehouse slot")
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
    with instance() as inst:
        mine = [r for r in inst.get_runs() if r.tags.get("ccp/launched_by") == "ccp materialize"]
        assert [r.status for r in mine] == [DagsterRunStatus.CANCELED]
        info = inst.event_log_storage.get_concurrency_info(POOL)
    assert {s.run_id for s in info.claimed_slots} == {holder_run}  # the holder's slot is not ours to free
    assert all(p.run_id != mine[0].run_id for p in info.pending_steps)


def test_a_waiting_run_recovers_a_holder_that_dies_and_finishes(ccp_env, slot_holder):
    from dagster import DagsterRunStatus

    holder, holder_run = slot_holder
    proc = popen(ccp_env.env, "materialize")
    read_stderr_until(proc, "waiting for the duckdb_warehouse slot")
    holder.kill()
    holder.wait()
    _, rest = proc.communicate(timeout=400)
    assert proc.returncode == 0, rest
    assert f"recovered run {holder_run[:8]}" in rest
    with instance() as inst:
        assert inst.get_run_by_id(holder_run).status == DagsterRunStatus.FAILURE
    no_slot_held()
