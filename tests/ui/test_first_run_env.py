"""`make run`'s decisions without a browser (issue 15): when demo data is written, where partitions start, and
what `ccp materialize` says while it works and when it ends.

The real `ccp` executable in a private HOME/CCP_HOME; the progress bar is read from a real pseudo-terminal
(rich draws it only on a terminal).
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import CLAUDE_FIXTURE
from tests.helpers import CCP, REPO


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCP_", "CLAUDE_", "DAGSTER_"))}
    (tmp / "home").mkdir(exist_ok=True)
    env.update({"HOME": str(tmp / "home"), "CCP_HOME": str(tmp / "ccp_home"), "PYTHONPATH": str(REPO),
                "DAGSTER_HOME": str(tmp / "dagster_home"), **extra})
    return env


def _first_run_env(env: dict[str, str]) -> tuple[dict[str, str], str]:
    r = subprocess.run([str(CCP), "first-run-env"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    exports = dict(re.fullmatch(r"export (\w+)=(.*)", line).groups() for line in r.stdout.splitlines())
    return exports, r.stderr


@pytest.mark.parametrize("layout", ["no ~/.claude", "empty projects", "an empty transcript"])
def test_no_source_holding_data_means_demo_data(tmp_path, layout):
    projects = tmp_path / "home" / ".claude" / "projects"
    if layout != "no ~/.claude":
        projects.mkdir(parents=True)
    if layout == "an empty transcript":
        (projects / "p").mkdir()
        (projects / "p" / "s.jsonl").write_bytes(b"")  # a file, but no bytes: holds no data
    exports, said = _first_run_env(_env(tmp_path))
    demo = tmp_path / "ccp_home" / "demo"
    assert "No source configured: writing demo data" in said, said
    assert exports["CLAUDE_CONFIG_DIR"] == str(demo / "claude")
    assert exports["CCP_USAGE_LOG_DIR"] == str(demo / "ccp") and exports["CCP_REPO_DIR"] == str(demo / "repo")
    manifest = (demo / "demo_manifest.json").read_text()
    start = re.search(r'"start": "([\d-]+)"', manifest).group(1)
    # The first partition is the first day with data: the proxy's two result days come before `start`.
    first = exports["CCP_START_DATE"]
    assert first < start and (subprocess.run(["date", "-u", "-d", f"{start} -2 days", "+%F"], capture_output=True,
                                             text=True).stdout.strip() == first), (first, start)
    results = sorted(p.name for p in (demo / "ccp" / "results").iterdir())
    assert results[0] == f"METRICS-{first}.json", results

    again, said = _first_run_env(_env(tmp_path))  # the second `make run` reuses the same demo
    assert again == exports and "using the demo data" in said, said


def test_a_source_with_bytes_is_used_and_partitions_start_at_its_first_day(tmp_path):
    shutil.copytree(CLAUDE_FIXTURE / "projects", tmp_path / "home" / ".claude" / "projects")
    exports, said = _first_run_env(_env(tmp_path))
    assert "Sources with data: claude_code" in said, said
    assert not (tmp_path / "ccp_home" / "demo").exists()
    # The fixture's earliest timestamp, found here by reading every line (UTC is the default zone).
    stamps = [m for f in (tmp_path / "home" / ".claude" / "projects").rglob("*.jsonl")
              for m in re.findall(r'"timestamp":\s*"(\d{4}-\d{2}-\d{2})T', f.read_text())]
    assert exports == {"CCP_START_DATE": min(stamps)}, exports

    mine, _ = _first_run_env(_env(tmp_path, CCP_START_DATE="2025-06-01"))
    assert mine == {}  # the user's own first day wins


def test_a_configured_folder_that_is_not_there_is_one_line(tmp_path):
    r = subprocess.run([str(CCP), "first-run-env"], env=_env(tmp_path, CLAUDE_CONFIG_DIR="/nonexistent/claude"),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error: CLAUDE_CONFIG_DIR=/nonexistent/claude") and len(r.stderr.splitlines()) == 1


def _read_pty(cmd: list[str], env: dict[str, str], timeout: float) -> str:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(cmd, env={**env, "COLUMNS": "160", "TERM": "xterm"}, stdin=follower, stdout=follower,
                            stderr=follower, close_fds=True)
    os.close(follower)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=60) == 0, out.decode(errors="replace")[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))


def _steps_run(dagster_home: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The step keys the (only) run of this instance started."""
    from dagster import DagsterEventType, DagsterInstance

    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))  # dagster.yaml reads it
    with DagsterInstance.get() as instance:
        [run] = instance.get_runs()
        records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.STEP_START).records
    return {r.event_log_entry.step_key for r in records}


@pytest.mark.slow
def test_materialize_shows_the_total_and_the_running_step_and_says_lines_landed(tmp_path, monkeypatch):
    shutil.copytree(CLAUDE_FIXTURE / "projects", tmp_path / "claude" / "projects")
    (tmp_path / "dagster_home").mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", tmp_path / "dagster_home" / "dagster.yaml")
    env = _env(tmp_path, CLAUDE_CONFIG_DIR=str(tmp_path / "claude"), CCP_TIMEZONE="UTC")
    text = _read_pty([str(CCP), "materialize"], env, timeout=600)
    frames = [f for f in re.split(r"[\r\n]", text) if f.startswith("materializing ")]
    assert not any("/?" in f for f in frames), frames[:10]  # the total from the first tick on, never "0/?"
    totals = {m.group(2) for m in (re.search(r"\b(\d+)/(\d+)\s", f) for f in frames) if m}
    assert len(totals) == 1, frames[:10]
    total = int(totals.pop())
    assert total == len(_steps_run(tmp_path / "dagster_home", monkeypatch)), total  # the bar counts steps, not assets
    # While a step runs the bar names it (a source's one step, e.g. source_claude_code, or an asset's).
    named = {m.group(1) for m in (re.search(rf"\b\d+/{total}\s+\d+:\d\d:\d\d\s+([a-z]\w+)\s*$", f) for f in frames) if m}
    assert len(named - {"starting"}) >= 3 and any(n.startswith("source_") for n in named), named
    landed = int(re.search(r"landed claude_code: (\d+) new lines", text).group(1))
    assert landed > 0
    table = text[text.index("┃ asset"):]
    row = next(line for line in table.splitlines() if "raw_claude_code" in line)
    assert f"{landed:,} landed by this command" in row, row
    assert "new_lines=0" not in table and "new_lines" not in table, table
    assert re.search(r"daily_summary .*\d USD", table), table
