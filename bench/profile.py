"""Where a cold build spends its time and memory: per-step wall time and peak RSS (a script, not a test).

    .venv/bin/python bench/run.py --demo-scale 100 --keep      # prints `kept /tmp/ccp-bench-...`
    .venv/bin/python bench/profile.py /tmp/ccp-bench-...         # cold build again into a fresh home

Runs `ccp materialize` on the kept corpus with a fresh CCP_HOME and DAGSTER_HOME, samples the process's
resident memory every 0.2 s, then reads the run's step start/end events from the Dagster instance and
prints each step's duration and the peak RSS seen while it ran, plus the time before the run (start-up
and landing). This is the profile behind the figures in bench/README.md.
"""

from __future__ import annotations

import bisect
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CCP = REPO / ".venv" / "bin" / "ccp"


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def main() -> None:
    corpus = Path(sys.argv[1]).resolve()
    demo = corpus / "demo"
    home, dagster_home = corpus / "profile_home", corpus / "profile_dagster_home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(dagster_home, ignore_errors=True)
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_") or k == "CCP_DUCKDB_MEMORY_LIMIT"} | {
        "CCP_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "CLAUDE_CONFIG_DIR": str(demo / "claude"),
        "CCP_USAGE_LOG_DIR": str(demo / "ccp"), "CCP_AGENTOS_DATA_DIR": str(demo / "agentos"),
        "CCP_REPO_DIR": str(demo / "repo"), "CCP_TIMEZONE": "UTC", "CCP_START_DATE": "2025-01-01"}
    samples: list[tuple[float, int]] = []
    t0 = time.time()
    proc = subprocess.Popen([str(CCP), "materialize"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None:
        kb = _rss_kb(proc.pid)
        if kb:
            samples.append((time.time(), kb))
        time.sleep(0.2)
    wall = time.time() - t0
    if proc.returncode:
        print(proc.stderr.read().decode(errors="replace")[-3000:] if proc.stderr else "", file=sys.stderr)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    times = [t for t, _ in samples]
    started: dict[str, float] = {}
    rows = []
    for rec in instance.all_logs(run.run_id):
        ev = rec.dagster_event
        if ev is None:
            continue
        if ev.event_type == DagsterEventType.STEP_START:
            started[rec.step_key] = rec.timestamp
        elif ev.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            a, b = started.get(rec.step_key, rec.timestamp), rec.timestamp
            i, j = bisect.bisect_left(times, a), bisect.bisect_right(times, b)
            peak = max((kb for _, kb in samples[i:j]), default=0)
            rows.append((b - a, peak, rec.step_key, ev.event_type == DagsterEventType.STEP_FAILURE))
    first_step = min(started.values(), default=t0)
    print(f"run {run.run_id[:8]} {run.status.value}; process {wall:.1f} s, peak RSS "
          f"{max((kb for _, kb in samples), default=0) / 1024:.0f} MB; before the first step (start-up, "
          f"landing every source) {first_step - t0:.1f} s")
    print(f"{'step':55} {'seconds':>8} {'peak RSS MB':>12}")
    for secs, peak, key, failed in sorted(rows, key=lambda r: -r[0]):
        print(f"{key:55} {secs:8.2f} {peak / 1024:12.0f}{'  FAILED' if failed else ''}")


if __name__ == "__main__":
    main()
