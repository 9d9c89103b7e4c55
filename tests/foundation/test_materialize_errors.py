"""Issue 15: `ccp materialize` never says "everything is up to date" for work it did not do.

Each mistake gives a non-zero exit (INTERFACES.md: 2 for configuration or arguments, 75 when another run is
in progress), exactly one line on stderr naming the value and the fix (after landing's progress lines when
the mistake shows only once the sources' days are known), nothing on stdout, no traceback.
"""

from __future__ import annotations

import subprocess
import time
from datetime import date, timedelta

import pytest

from tests.helpers import CCP

FUTURE = (date.today() + timedelta(days=30)).isoformat()

# id: (arguments, extra environment, exit code, words the one line must contain)
CASES = {
    "future CCP_START_DATE": ([], {"CCP_START_DATE": FUTURE}, 2,
                              [f"CCP_START_DATE={FUTURE}", "in the future", "unset it"]),
    "CCP_START_DATE after every day with data": ([], {"CCP_START_DATE": "2026-03-01"}, 2,
                                                 ["CCP_START_DATE=2026-03-01", "2026-02-10..2026-02-12", "lower"]),
    "--start after --end": (["--start", "2026-02-12", "--end", "2026-02-10"], {}, 2,
                            ["--start 2026-02-12", "--end 2026-02-10", "swap"]),
    "--start after the last day with data": (["--start", "2026-05-01"], {}, 2,
                                             ["--start 2026-05-01", "2026-02-12", "earlier"]),
    "--end before CCP_START_DATE": (["--end", "2023-06-30"], {}, 2,
                                    ["--end 2023-06-30", "CCP_START_DATE=2024-01-01"]),
    "--start not a day": (["--start", "2026-13-01"], {}, 2, ["'2026-13-01'", "YYYY-MM-DD"]),
    "--select matching nothing": (["--select", "key:nope"], {}, 2, ["'key:nope'", "matches no asset", "e.g."]),
    "--select not a selection": (["--select", "key:"], {}, 2, ["'key:'", "not a valid asset selection", "e.g."]),
}

NEED_LANDING = {"CCP_START_DATE after every day with data", "--start after the last day with data"}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CCP), "materialize", *args], env=env, cwd=env["HOME"], capture_output=True,
                          text=True, timeout=300)


def _assert_one_line(r: subprocess.CompletedProcess, code: int, words: list[str]) -> str:
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "up to date" not in r.stderr + r.stdout
    assert r.stdout == ""
    # Landing's progress lines ("landed claude_code: N new lines ...") may come first; the error is one line.
    lines = [ln for ln in r.stderr.strip().splitlines() if not ln.startswith("landed ")]
    assert len(lines) == 1, r.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_a_mistake_is_one_line_and_a_non_zero_exit(case, ccp_env, claude_fixture):
    args, extra, code, words = CASES[case]
    r = _run(ccp_env.env | extra, *args)
    _assert_one_line(r, code, words)
    if case not in NEED_LANDING:  # refused before any work: nothing landed, no run recorded
        assert not (ccp_env.ccp_home / "warehouse.duckdb").exists()


@pytest.mark.slow
def test_a_second_concurrent_run_names_the_run_in_progress(ccp_env, claude_fixture):
    from dagster import DagsterInstance, DagsterRunStatus

    first = subprocess.Popen([str(CCP), "materialize"], env=ccp_env.env, cwd=ccp_env.env["HOME"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline, run_id = time.monotonic() + 240, None
    while run_id is None:  # evidence, not a sleep: the first run is STARTED in the instance
        assert time.monotonic() < deadline and first.poll() is None, first.stderr.read() if first.stderr else ""
        with DagsterInstance.get() as inst:
            started = inst.get_runs()
            run_id = next((r.run_id for r in started if r.status == DagsterRunStatus.STARTED), None)
        time.sleep(0.1)
    second = _run(ccp_env.env)
    line = _assert_one_line(second, 75, ["another run is in progress", f"run {run_id[:8]}",
                                         f"pid {first.pid}", "ccp materialize", "again"])
    assert line.startswith("another run is in progress")
    _, err = first.communicate(timeout=400)
    assert first.returncode == 0, err  # the refused run did not disturb the one in progress
