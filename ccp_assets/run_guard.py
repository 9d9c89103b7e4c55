"""Runs that never wedge the product: who runs where, dead runs recovered, one graph run at a time.

A `ccp materialize` killed with SIGKILL leaves its Dagster run STARTED and its `duckdb_warehouse` pool slot
claimed; the instance never learns the process is gone (the default run launcher has no worker health check,
and an in-process run has no launcher at all), so every later run waits on that slot forever. Measured on the
Claude Code fixture: a kill 9 s into a 17 s run left the next run spinning at 36% CPU for 10 minutes.

So every run records where its process lives (host, pid and the pid's start time, as run tags; runs that the
daemon launches also carry the pid in Dagster's own "Started process for run (pid: N)" engine event), and
`recover` — called by `ccp materialize` before it starts, by a waiting run every few seconds, and by the
ingest sensor on every tick — marks runs whose process is gone as failed (`instance.report_run_failed`) and
frees their pool slots and queued claims (`event_log_storage.free_concurrency_slots_for_run`). A pid reused
by another process does not keep a dead run alive: its start time must match. The warehouse needs no repair:
landing and every asset write are single DuckDB transactions, so a killed run left nothing half-written.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HOST_TAG = "ccp/host"
PID_TAG = "ccp/pid"
PID_STARTED_TAG = "ccp/pid_started"
LAUNCHED_BY_TAG = "ccp/launched_by"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PID_START_TOLERANCE_S = 2.0  # create_time is reported in clock ticks; a reused pid starts much later
# The statuses of a run that may still hold (or wait for) the warehouse: DagsterRunStatus's values, spelled here
# so `nothing_to_recover` can ask the SQLite storage without importing Dagster.
ACTIVE_STATUSES = ("NOT_STARTED", "STARTING", "STARTED", "CANCELING")
# dagster.yaml keys that move the instance's storage away from the default SQLite files under DAGSTER_HOME
# (but for ccp_assets/instance_storage.py's storage, which keeps those files where Dagster puts them).
_STORAGE_KEYS = re.compile(r"^(storage|run_storage|event_log_storage)\s*:", re.MULTILINE)
OWN_STORAGE = {"custom": {"module": "ccp_assets.instance_storage", "class": "CcpSqliteStorage",
                          "config": {"base_dir": {"env": "DAGSTER_HOME"}}}}


def _process_start(pid: int) -> float | None:
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def process_tags() -> dict[str, str]:
    """Tags naming this process, for a run it executes in-process (`ccp materialize`)."""
    pid = os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid),
            PID_STARTED_TAG: f"{_process_start(pid) or time.time():.2f}"}


def range_tags(start: str, end: str) -> dict[str, str]:
    """The run tags that make one run cover the partitions start..end (nothing for a single day).

    Dagster reads these two documented tag names for single-run backfills; the constants behind them live
    in a private module (`dagster._core.storage.tags`), so they are spelled here once instead.
    """
    return {} if start == end else {PARTITION_RANGE_START_TAG: start, PARTITION_RANGE_END_TAG: end}


def host_tags() -> dict[str, str]:
    """Tags for a run requested by a sensor: its worker's pid comes later, in Dagster's engine event."""
    return {HOST_TAG: socket.gethostname()}


@dataclass(frozen=True)
class Worker:
    """Where a run's process lives, as far as the instance knows."""

    host: str | None
    pid: int | None
    started: float | None  # the process's start time when the run recorded it
    seen: float | None = None  # when Dagster logged "Started process for run (pid: N)" (no start time tag)

    def describe(self) -> str:
        if self.pid is None:
            return "no process recorded yet"
        here = self.host in (None, socket.gethostname())
        return f"pid {self.pid}" + ("" if here else f" on {self.host}")


def _local_instance(instance: Any) -> bool:
    """Runs without a host tag are local when the instance's storage is the local SQLite default."""
    return "sqlite" in type(instance.run_storage).__name__.lower()


def worker_of(instance: Any, run: Any) -> Worker:
    """The run's host/pid from its tags, else the pid of Dagster's first engine event that carries one."""
    from dagster import DagsterEventType

    tags = run.tags
    host = tags.get(HOST_TAG)
    if tags.get(PID_TAG, "").isdigit():
        started = tags.get(PID_STARTED_TAG)
        return Worker(host, int(tags[PID_TAG]), float(started) if started else None)
    records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=50).records
    for rec in records:
        data = rec.event_log_entry.dagster_event.engine_event_data if rec.event_log_entry.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None and str(getattr(pid, "value", pid)).isdigit():
            return Worker(host, int(getattr(pid, "value", pid)), None, rec.event_log_entry.timestamp)
    return Worker(host, None, None)


def is_gone(instance: Any, worker: Worker) -> bool:
    """True only when we know the process is gone: same host, and the pid is dead or now someone else's.

    A process that started after the run recorded it (or after Dagster logged its pid) is another process.
    """
    if worker.pid is None:
        return False
    if worker.host is None and not _local_instance(instance):
        return False
    if worker.host is not None and worker.host != socket.gethostname():
        return False
    started = _process_start(worker.pid)
    if started is None:
        return True
    if worker.started is not None:
        return abs(started - worker.started) > PID_START_TOLERANCE_S
    # Without a recorded start time, the bound is the engine event that named the pid: the worker process
    # started before Dagster logged it. (The run's creation is no bound: a loaded machine can spawn the
    # worker many seconds after the run was created — measured: a UI run wrongly failed that way.)
    return worker.seen is not None and started > worker.seen + PID_START_TOLERANCE_S


def describe_run(record: Any, worker: Worker | None = None) -> str:
    """`run 3d3c516b (ccp materialize, pid 16291, started 10:31:58 UTC)`: enough to find and stop it."""
    run = record.dagster_run
    who = run.tags.get(LAUNCHED_BY_TAG) or run.job_name
    when = record.start_time or record.create_timestamp.timestamp()
    at = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    parts = [who] + ([worker.describe()] if worker and worker.pid else []) + [f"started {at}"]
    return f"run {run.run_id[:8]} ({', '.join(parts)})"


def _active_statuses() -> list[Any]:
    from dagster import DagsterRunStatus

    return [DagsterRunStatus(s) for s in ACTIVE_STATUSES]


def default_sqlite_files(yaml_text: str) -> bool:
    """The instance keeps Dagster's default SQLite files under DAGSTER_HOME (this module and
    cli/nothing_new.py read them directly)."""
    if not _STORAGE_KEYS.search(yaml_text):
        return True
    import yaml

    config = yaml.safe_load(yaml_text) or {}
    return config.get("storage") == OWN_STORAGE and not {"run_storage", "event_log_storage"} & set(config)


def sqlite_files(home: Path) -> tuple[Path, Path] | None:
    """`runs.db` and the event log's `index.db` of the default SQLite instance at `home` (Dagster's layout, read
    directly here and by cli/nothing_new.py), or None when its dagster.yaml keeps storage elsewhere."""
    try:
        if not default_sqlite_files((home / "dagster.yaml").read_text()):
            return None
    except OSError:
        return None
    return home / "history" / "runs.db", home / "history" / "runs" / "index.db"


def read_only_row(db: Path, sql: str) -> tuple:
    """One row of a read-only query on one of those files (sqlite3.Error when locked or of another schema)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0)) as c:
        return c.execute(sql).fetchone()


def nothing_to_recover(home: Path) -> bool:
    """True when the default SQLite instance at `home` provably has no active run and no pool claim, so that
    `recover` and `in_progress` would find nothing: read from its files without importing Dagster.

    `ccp materialize` then lands while a thread opens the instance (cold: Dagster's storage imports and the
    SQLite DDL) instead of opening it first. False whenever not provable: storage configured elsewhere, a
    database locked or unreadable, or any row to look at.
    """
    files = sqlite_files(home)
    if files is None:
        return False
    statuses = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)
    checks = ((files[0], f"SELECT count(*) FROM runs WHERE status IN ({statuses})"),
              (files[1], "SELECT count(*) FROM pending_steps"))
    try:
        # a store not created yet holds nothing
        return not any(db.exists() and read_only_row(db, sql)[0] for db, sql in checks)
    except sqlite3.Error:  # locked, half-created, another schema: let Dagster look
        return False


def recover(instance: Any, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Fail the runs whose process is gone and free every pool slot a gone or long-finished run holds.

    Returns one line per run recovered (for the terminal and the sensor's log). Runs in `exclude` (the
    caller's own) are left alone. Finished runs keep their slots for `free_slots_after_run_end_seconds`
    (the daemon's rule, which assumes step processes may outlive the run) unless their process is gone.
    """
    from dagster import DagsterRunStatus, RunsFilter

    storage = instance.event_log_storage
    lines: list[str] = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=_active_statuses())):
        run = record.dagster_run
        if run.run_id in exclude:
            continue
        if run.status == DagsterRunStatus.NOT_STARTED and PID_TAG not in run.tags:
            continue  # the daemon's queue owns it; run monitoring's start timeout covers a stuck start
        worker = worker_of(instance, run)
        if not is_gone(instance, worker):
            continue
        why = (f"its process ({worker.describe()}) is gone (killed or crashed); marked failed by ccp so the "
               "warehouse pool is free again — run `ccp materialize` to finish its days")
        if run.status == DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message=f"Canceled: {why}")
        else:
            instance.report_run_failed(run, message=f"Failed: {why}")
        if storage.supports_global_concurrency_limits:
            storage.free_concurrency_slots_for_run(run.run_id)
        lines.append(f"recovered {describe_run(record, worker)}: its process is gone; marked failed and "
                     "freed its warehouse slot")
    if storage.supports_global_concurrency_limits:
        lines += _free_finished(instance, exclude)
    return lines


def _free_finished(instance: Any, exclude: frozenset[str]) -> list[str]:
    storage = instance.event_log_storage
    grace = instance.run_monitoring_settings.get("free_slots_after_run_end_seconds") or 0
    lines = []
    for run_id in sorted(storage.get_concurrency_run_ids() - set(exclude)):
        record = instance.get_run_record_by_id(run_id)
        if record is None:
            storage.free_concurrency_slots_for_run(run_id)  # a deleted run cannot hold a slot
            continue
        if not record.dagster_run.is_finished:
            continue
        worker = worker_of(instance, record.dagster_run)
        ended = record.end_time or record.update_timestamp.timestamp()
        if is_gone(instance, worker) or time.time() - ended > grace:
            storage.free_concurrency_slots_for_run(run_id)
            lines.append(f"freed the warehouse slot still held by finished {describe_run(record, worker)}")
    return lines


def in_progress(instance: Any, job_name: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Descriptions of the live runs of `job_name` (after `recover`, these really are running)."""
    from dagster import DagsterRunStatus, RunsFilter

    found = []
    for record in instance.get_run_records(filters=RunsFilter(job_name=job_name, statuses=_active_statuses())):
        run = record.dagster_run
        if run.run_id in exclude or (run.status == DagsterRunStatus.NOT_STARTED and PID_TAG not in run.tags):
            continue
        worker = worker_of(instance, run)
        if not is_gone(instance, worker):
            found.append(describe_run(record, worker))
    return found


def slot_holders(instance: Any, pool: str, run_id: str) -> tuple[bool, list[str]]:
    """(is `run_id` waiting on `pool`, the other runs holding its slots as descriptions)."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    mine_claimed = any(s.run_id == run_id for s in info.claimed_slots)
    waiting = not mine_claimed and any(p.run_id == run_id and p.assigned_timestamp is None
                                       for p in info.pending_steps)
    holders = []
    for rid in dict.fromkeys(s.run_id for s in info.claimed_slots if s.run_id != run_id):
        record = instance.get_run_record_by_id(rid)
        holders.append(describe_run(record, worker_of(instance, record.dagster_run)) if record else f"run {rid[:8]}")
    return waiting, holders
