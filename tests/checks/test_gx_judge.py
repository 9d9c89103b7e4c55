"""GX judges in a process of its own (checks/gx_runner.py): its outcomes are GX's, it leaves with its parent,
and a dead judge costs a check nothing but time (the step judges in-process)."""

import os
import signal

import pandas as pd

from ccp_assets.checks import gx_runner

FRAME = {"unexpected": [0.0, 3.0, None, 0.0], "share": [0.01, None, 0.2, 0.0]}
EXPECTATIONS = [
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "unexpected", "max_value": 0}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "share", "max_value": 0.05}},
]


def test_the_judge_is_another_process_and_reports_each_unexpected_row() -> None:
    judge = gx_runner._Judge()
    try:
        assert judge.proc.pid != os.getpid()
        unexpected, share = judge.ask(pd.DataFrame(FRAME), EXPECTATIONS, "judge-test")
        # By hand: 3.0 > 0 in row 1 (the null in row 2 is not GX's business); 0.2 > 0.05 in row 2.
        assert (unexpected.success, unexpected.unexpected_count, unexpected.unexpected_index) == (False, 1, [1])
        assert unexpected.examples == [3.0]
        assert (share.success, share.unexpected_count, share.unexpected_index) == (False, 1, [2])
        ok = judge.ask(pd.DataFrame({"unexpected": [0.0, 0.0]}), EXPECTATIONS[:1], "judge-test")
        assert [o.success for o in ok] == [True]
    finally:
        judge.close()
    assert judge.proc.returncode == 0  # closing its pipe ends it


def test_a_dead_judge_is_replaced_by_judging_here() -> None:
    gx_runner.prewarm()
    judge = gx_runner._judge["judge"]
    os.kill(judge.proc.pid, signal.SIGKILL)
    judge.proc.wait()
    outcomes = gx_runner.validate(pd.DataFrame(FRAME), EXPECTATIONS, "judge-test")
    assert [(o.success, o.unexpected_index) for o in outcomes] == [(False, [1]), (False, [2])]
    assert gx_runner._judge.get("judge") is not judge
