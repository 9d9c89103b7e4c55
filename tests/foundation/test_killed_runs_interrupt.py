"""Issue 14 item 1: Ctrl-C during a step (not waiting on the slot) ends the run with one line and exit 130, and
the next run finishes. (Split from test_killed_runs.py so the two xdist workers can share those tests.)"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.foundation.killing import (
    KILL_POINTS,
    create_instance,
    instance,
    next_run_finishes,
    no_slot_held,
    popen,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_a_run_interrupted_inside_a_step_stops_with_one_line_and_the_next_run_finishes(ccp_env, claude_fixture):
    """Dagster interrupts the step, its transaction rolls back."""
    from dagster import DagsterRunStatus

    from ccp_assets.run_watch import GRACE_S

    create_instance()
    proc = popen(ccp_env.env, "materialize")
    wait_for(lambda: KILL_POINTS["normalization"](ccp_env.ccp_home), proc)
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - sent < GRACE_S + 5
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: interrupted by SIGINT: run ")
    with instance() as inst:  # failed by Dagster's step interrupt, or canceled by run_watch after GRACE_S
        statuses = [r.status for r in inst.get_runs()]
    assert statuses in ([DagsterRunStatus.FAILURE], [DagsterRunStatus.CANCELED]), statuses
    no_slot_held()
    next_run_finishes(ccp_env.env)
