"""What one Dagster event costs to store: Dagster's stock SQLite storage vs ccp_assets/instance_storage.py.

    .venv/bin/python bench/event_store.py [--events 400] [--rounds 3]

Each round, in a fresh DAGSTER_HOME per storage, writes `--events` ASSET_MATERIALIZATION_PLANNED events (the
kind a ranged run writes one of per asset and day) then as many log lines, and prints wall and CPU time per
event, alternating the two storages. A script, not a test: figures go to bench/README.md with the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STOCK = "telemetry:\n  enabled: false\n"

CHILD = r"""
import os, resource, sys, time, uuid
from dagster import AssetKey, DagsterInstance, DagsterRun
from dagster._core.events import AssetMaterializationPlannedData, DagsterEvent
from dagster._core.events.log import EventLogEntry
n = int(sys.argv[1])
instance = DagsterInstance.get()
run_id = str(uuid.uuid4())
instance.add_run(DagsterRun(job_name="ccp_daily", run_id=run_id))
events = [DagsterEvent.build_asset_materialization_planned_event("ccp_daily", "s", AssetMaterializationPlannedData(
    AssetKey(f"asset_{i % 27}"), partition=f"2026-01-{i % 28 + 1:02d}")) for i in range(n)]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0, t0 = cpu(), time.perf_counter()
for e in events:
    instance.report_dagster_event(e, run_id)
c1, t1 = cpu(), time.perf_counter()
for i in range(n):
    instance.event_log_storage.store_event(EventLogEntry(error_info=None, level=20, user_message=f"line {i}",
                                                          run_id=run_id, timestamp=time.time()))
c2, t2 = cpu(), time.perf_counter()
print((t1 - t0) / n * 1e3, (c1 - c0) / n * 1e3, (t2 - t1) / n * 1e3, (c2 - c1) / n * 1e3)
"""


def one(yaml_text: str, n: int) -> list[float]:
    home = Path(tempfile.mkdtemp(prefix="ccp-evbench-"))
    try:
        (home / "dagster.yaml").write_text(yaml_text)
        env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)}
        out = subprocess.run([sys.executable, "-c", CHILD, str(n)], env=env, check=True, capture_output=True,
                             text=True).stdout
        return [float(x) for x in out.split()]
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ours = (REPO / "dagster_home" / "dagster.yaml").read_text()
    results: dict[str, list[list[float]]] = {"stock": [], "ccp": []}
    for _ in range(args.rounds):
        results["stock"].append(one(STOCK, args.events))
        results["ccp"].append(one(ours, args.events))
    print(f"load average {os.getloadavg()[0]:.1f}; {args.events} events of each kind, median of {args.rounds}")
    print(f"{'storage':8} {'planned wall ms':>16} {'planned CPU ms':>15} {'log wall ms':>12} {'log CPU ms':>11}")
    for name, rows in results.items():
        med = [statistics.median(col) for col in zip(*rows, strict=True)]
        print(f"{name:8} {med[0]:16.2f} {med[1]:15.2f} {med[2]:12.2f} {med[3]:11.2f}")


if __name__ == "__main__":
    main()
