"""Issue 16: a no-op `ccp materialize` is decided without Dagster (cli/nothing_new.py), and never wrongly.

Every case runs the real `ccp` and reads the real instance: "nothing new" must start no run and import no
Dagster; a new line, a new file, a day landed but never materialized, a day whose bytes landed after its
last materialization, and a wiped materialization must each start a run. A file touched but unchanged has
no new bytes (its ledger identity, size and head are the same): like the full path, it starts no run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import CLAUDE_FIXTURE, REPO
from tests.helpers import CCP

SHORT = next((CLAUDE_FIXTURE / "projects").glob("*/short.jsonl"))
UP_TO_DATE = "everything is up to date: no new source bytes since the last run."

pytestmark = pytest.mark.slow


def _runs() -> int:
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        return instance.get_runs_count()


def _materialize(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CCP), "materialize", *args], env=env, cwd=env["HOME"], capture_output=True,
                          text=True, timeout=600)


def _no_op(env: dict[str, str]) -> None:
    """`ccp materialize` answers "up to date" without a run and without importing Dagster."""
    before = _runs()
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "ccp_assets.cli", "materialize"],
                       env=env | {"PYTHONPATH": str(REPO)}, cwd=env["HOME"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert UP_TO_DATE in r.stderr
    imported = set(re.findall(r"\|\s+(\S+)$", r.stderr, re.MULTILINE))
    assert not {m for m in imported if m.split(".")[0] in ("dagster", "pandas", "great_expectations")}
    assert "ccp_assets.definitions" not in imported
    assert _runs() == before


def _runs_once(env: dict[str, str]) -> None:
    before = _runs()
    r = _materialize(env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert UP_TO_DATE not in r.stderr
    assert _runs() == before + 1


def _moved(text: str, day: str, tag: str) -> str:
    """short.jsonl as another session on `day`: new ids, so it is new data, not a copy ccusage dedups."""
    text = text.replace("2026-02-10", day).replace('"id":"msg_', f'"id":"msg_{tag}')
    return re.sub(r'([uU]uid":")', rf"\g<1>{tag}", text.replace('"requestId":"req_', f'"requestId":"req_{tag}'))


def test_nothing_new_starts_no_run_and_anything_new_does(ccp_env):
    env = ccp_env.env
    dst = ccp_env.projects() / "short.jsonl"
    shutil.copy(SHORT, dst)
    _runs_once(env)
    _no_op(env)

    st = dst.stat()
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched, not changed
    _no_op(env)

    last = dst.read_text().splitlines()[-1]
    with open(dst, "a") as f:  # an appended line for a day already materialized
        f.write(_moved(last, "2026-02-10", "a") + "\n")
    _runs_once(env)
    _no_op(env)

    (dst.parent / "other.jsonl").write_text(_moved(SHORT.read_text(), "2026-02-11", "n"))  # a new file
    _runs_once(env)
    _no_op(env)


def test_landed_but_not_materialized_days_start_a_run(ccp_env):
    """Bytes the ledger has seen but no run has materialized: landed, then the process died before its run
    (or a `ccp report` refresh landed them). No new bytes, yet not up to date."""
    from ccp_assets import runs
    from ccp_assets.settings import load_settings

    env = ccp_env.env
    dst = ccp_env.projects() / "short.jsonl"
    shutil.copy(SHORT, dst)
    _runs_once(env)

    (dst.parent / "later.jsonl").write_text(_moved(SHORT.read_text(), "2026-02-13", "l"))  # a day never run
    runs.land_all(load_settings())
    _runs_once(env)
    _no_op(env)

    with open(dst, "a") as f:  # a day already materialized gets lines, landed by a process that then died
        f.write(_moved(dst.read_text().splitlines()[-1], "2026-02-10", "d") + "\n")
    runs.land_all(load_settings())
    _runs_once(env)
    _no_op(env)


def test_a_wiped_day_or_a_later_start_date_is_not_up_to_date(ccp_env):
    from dagster import AssetKey, DagsterInstance

    env = ccp_env.env
    shutil.copy(SHORT, ccp_env.projects() / "short.jsonl")
    _runs_once(env)
    with DagsterInstance.get() as instance:  # the instance moved since the stamp: it is not trusted
        instance.wipe_assets([AssetKey("daily_summary")])
    _runs_once(env)
    _no_op(env)
    r = _materialize(env | {"CCP_START_DATE": "2026-03-01"})
    assert r.returncode == 2 and UP_TO_DATE not in r.stderr
    assert "CCP_START_DATE=2026-03-01" in r.stderr and "lower" in r.stderr
