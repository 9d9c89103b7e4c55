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
    "--start not a day": (["--start", "2026-13-01"], {}, 2, ["--start=2026-13-01", "YYYY-MM-DD"]),
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


def _run_started(_env) -> str | None:
    from dagster import DagsterInstance, DagsterRunStatus

    with DagsterInstance.get() as inst:
        return next((r.run_id for r in inst.get_runs() if r.status == DagsterRunStatus.STARTED), None)


def _landing_started(env) -> str | None:
    return "landing" if any((env.ccp_home / "landing").rglob("*.parquet")) else None


@pytest.mark.slow
@pytest.mark.parametrize("when", ["while the first lands", "while the first's run is started"])
def test_a_second_concurrent_run_names_the_run_in_progress(when, ccp_env, claude_fixture):
    evidence = _landing_started if when == "while the first lands" else _run_started
    _create_instance()  # before polling it: two processes creating one SQLite instance race in Dagster
    first = subprocess.Popen([str(CCP), "materialize"], env=ccp_env.env, cwd=ccp_env.env["HOME"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline, seen = time.monotonic() + 240, None
    while seen is None:  # evidence, not a sleep: landing files, or the first run STARTED in the instance
        assert time.monotonic() < deadline and first.poll() is None, first.stderr.read() if first.stderr else ""
        seen = evidence(ccp_env)
        time.sleep(0.05)
    second = _run(ccp_env.env)
    words = ["in progress", f"pid {first.pid}", "ccp materialize", "again"]
    line = _assert_one_line(second, 75, words + ([f"run {seen[:8]}"] if seen != "landing" else []))
    assert line.startswith("error: another ")
    _, err = first.communicate(timeout=400)
    assert first.returncode == 0, err  # the refused run did not disturb the one in progress


def _create_instance() -> None:
    from dagster import DagsterInstance

    with DagsterInstance.get():
        pass
