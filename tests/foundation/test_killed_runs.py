"""Issue 14 item 1: a killed `ccp materialize` never wedges the product.

Each kill is a SIGKILL of the `ccp materialize` process group at a point proven by evidence, not by a sleep:
a Parquet file in the landing zone (landing), a STEP_START of a normalizer or a measurement in the Dagster
event log. The next `ccp materialize` must finish by itself and `ccp report daily --json` must equal a clean
run's. The runs waiting on the warehouse slot are in test_killed_runs_waiting.py, Ctrl-C inside a step in
test_killed_runs_interrupt.py (one file was the suite's heaviest, 130-180 s of CPU on one xdist worker).
"""

from __future__ import annotations

import json
import os
import shutil
import signal

import pytest

from tests.conftest import REPO, MaterializedHome
from tests.foundation.killing import (
    KILL_POINTS,
    create_instance,
    instance,
    leaf_diff,
    next_run_finishes,
    no_slot_held,
    popen,
    wait_for,
)
from tests.helpers import ccp

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean_report(claude_run: MaterializedHome, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`ccp report daily --json` after one uninterrupted materialize of the same fixture: the session's shared
    run (`claude_run`, what `ccp materialize` does, in-process), copied so `ccp report` cannot change it."""
    root = tmp_path_factory.mktemp("clean")
    (root / "dh").mkdir()
    (root / "home").mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", root / "dh" / "dagster.yaml")
    shutil.copytree(claude_run.ccp_home, root / "ccp")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update({"CCP_HOME": str(root / "ccp"), "DAGSTER_HOME": str(root / "dh"), "CLAUDE_CONFIG_DIR":
                str(claude_run.claude), "CCP_TIMEZONE": "UTC", "HOME": str(root / "home")})  # the ledger's paths
    r = ccp(env, "report", "daily", "--json")
    assert "materializ" not in r.stderr, f"the clean run was not up to date, the report ran the graph:\n{r.stderr}"
    rep = json.loads(r.stdout)
    assert rep["daily"], "the clean run reported no day: the comparison would prove nothing"
    return rep


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_materialize_then_next_run_finishes_and_reports_the_same(point, ccp_env, claude_fixture,
                                                                         clean_report):
    from dagster import DagsterRunStatus

    pred = KILL_POINTS[point]
    create_instance()
    proc = popen(ccp_env.env, "materialize")
    wait_for(lambda: pred(ccp_env.ccp_home), proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with instance() as inst:
        dead = [r.run_id for r in inst.get_runs() if r.status == DagsterRunStatus.STARTED]
    if point != "landing":
        assert dead, "the kill left no STARTED run: the kill point came too late to test recovery"

    nxt = next_run_finishes(ccp_env.env)
    for run_id in dead:
        assert f"recovered run {run_id[:8]}" in nxt.stderr
    with instance() as inst:
        for run_id in dead:
            run = inst.get_run_by_id(run_id)
            assert run.status == DagsterRunStatus.FAILURE
        statuses = [r.status for r in inst.get_runs()]
    assert statuses[0] == DagsterRunStatus.SUCCESS  # newest first: the run after the kill
    no_slot_held()
    rep = json.loads(ccp(ccp_env.env, "report", "daily", "--json").stdout)
    assert rep == clean_report, leaf_diff(rep, clean_report)
