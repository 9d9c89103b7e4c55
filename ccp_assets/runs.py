"""Run the asset graph in-process against the Dagster instance at DAGSTER_HOME (what `ccp materialize` does).

The run is recorded in the instance like any other, so it shows in the UI with its materializations.
Before the run, every source lands its new bytes so we know which days have data; the run's raw
assets then find nothing new and only report.
"""

from __future__ import annotations

import os
import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ccp_assets.cli.errors import CliError  # one error path: any CLI caller prints one line
from ccp_assets.settings import Settings

REPO_DAGSTER_HOME = Path(__file__).resolve().parents[1] / "dagster_home"


def ensure_dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME as configured (absolute), else the repo's dagster_home/, else one under CCP_HOME."""
    raw = os.environ.get("DAGSTER_HOME")
    if raw:
        home = Path(raw).expanduser().resolve()
    elif (REPO_DAGSTER_HOME / "dagster.yaml").exists():
        home = REPO_DAGSTER_HOME
    else:
        home = settings.ccp_home / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        import yaml

        from ccp_assets.run_guard import OWN_STORAGE

        # no telemetry (the local tier promises zero network), and the product's instance storage
        (home / "dagster.yaml").write_text(yaml.safe_dump(
            {"telemetry": {"enabled": False}, "nux": {"enabled": False}, "storage": OWN_STORAGE}, sort_keys=False))
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def land_all(settings: Settings) -> dict[str, Any]:
    """Land every enabled source now; returns {source: LandingResult} and the days that have data."""
    import duckdb

    from ccp_assets.sources.landing import land, landed_days
    from ccp_assets.sources.registry import SOURCES
    from ccp_assets.warehouse.resource import warehouse_for

    results = {}
    try:
        with warehouse_for(settings.warehouse_path).connect() as conn:
            for adapter in SOURCES:
                results[adapter.name] = land(conn, adapter, settings)
            stamps = landed_at(conn)
    except duckdb.IOException as e:
        if "lock" not in str(e).lower():
            raise
        holder = re.search(r"PID (\d+)", str(e))
        raise Busy(f"the warehouse {settings.warehouse_path} is open for writing by another process"
                   f"{f' (pid {holder.group(1)})' if holder else ''}; wait for it to finish and run "
                   "`ccp materialize` again") from None
    days = sorted({d for a in SOURCES for d in landed_days(settings, a.name)})
    touched = sorted({d for r in results.values() for d in r.days})
    return {"results": results, "days": days, "touched": touched, "landed_at": stamps}


def days_to_run(landed: dict[str, Any], instance: Any = None) -> list[str]:
    """Days with data that need a run: new bytes landed for them now, never materialized, a later attempt
    failed, or bytes landed after their last materialization (a run that landed them and then died).

    This is what makes an incremental `ccp materialize` cost work proportional to the new bytes
    rather than to the whole history. `instance`: the caller's open instance (else one is opened here).
    """
    from dagster import DagsterInstance

    if instance is None:
        with DagsterInstance.get() as own:
            return days_to_run(landed, own)
    done = done_days(instance)
    return sorted(set(landed["touched"]) | set(stale_days(landed["days"], landed.get("landed_at", {}), done)))


def stale_days(days: list[str], landed_at: dict[str, float], done: dict[str, float]) -> list[str]:
    """The days not done, or with bytes landed after their latest materialization (epoch seconds)."""
    return [d for d in days if d not in done or landed_at.get(d, 0.0) > done[d]]


def landed_at(conn: Any) -> dict[str, float]:
    """Per day, when its data last changed (epoch seconds): the landing ledger's committed batches, and the days
    a run over other days changed (day_changes: a response repeated days later won there)."""
    return {str(d): t.timestamp() for d, t in conn.execute(
        "SELECT d, max(t) FROM (SELECT unnest(days) AS d, committed_at AS t FROM landing_batches UNION ALL "
        "SELECT CAST(day AS VARCHAR), changed_at FROM day_changes) GROUP BY 1").fetchall()}


def done_days(instance: Any) -> dict[str, float]:
    """Days whose `daily_summary` is materialized, with the time of the latest materialization (epoch seconds);
    a day waiting on a later attempt that failed is not done."""
    from dagster import AssetKey, AssetRecordsFilter, DagsterEventType

    key, storage = AssetKey("daily_summary"), instance.event_log_storage
    failed = storage.get_latest_asset_partition_materialization_attempts_without_materializations(key)
    materialized = instance.get_materialized_partitions(key)
    ids = [i for p, i in storage.get_latest_storage_id_by_partition(key, DagsterEventType.ASSET_MATERIALIZATION).items()
           if p in materialized and p not in failed]
    done: dict[str, float] = {}
    for n in range(0, len(ids), 500):
        records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key, storage_ids=ids[n:n + 500]),
                                                  limit=500).records
        done.update({r.partition_key: r.timestamp for r in records if r.partition_key})
    return done


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    start: str
    end: str
    failures: list[str] = field(default_factory=list)
    materialized: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)


def clamp_range(days: list[str], start: date | None, end: date | None, settings: Settings) -> tuple[str, str] | None:
    """The partition range to run: the flags, else the span of `days`; clipped to CCP_START_DATE.."""
    if start is None and end is None and not days:
        return None
    lo = start or date.fromisoformat(days[0])
    hi = end or (date.fromisoformat(days[-1]) if days else lo)
    lo = max(lo, settings.start_date)
    if hi < lo:
        return None
    return lo.isoformat(), hi.isoformat()


ProgressFn = Callable[[int, int, str], None]
NoticeFn = Callable[[str], None]


def _run_totals(acc: dict[str, Any] | None, meta: dict[str, Any], partition: str | None) -> dict[str, Any]:
    """The run's view of per-partition metadata (each materialization holds its own day's numbers):
    numbers summed, lists joined, dicts merged the same way unless equal (a fact shared by every day),
    `withheld` keyed by day; anything else as the last partition says."""
    acc = dict(acc or {})
    for k, v in meta.items():
        if k == "withheld" and partition is not None:
            prev = acc.get(k) if isinstance(acc.get(k), dict) else {}
            acc[k] = {**prev, **({partition: v} if v and not isinstance(v, dict) else v or {})}
        elif k not in acc or (isinstance(v, dict) and acc[k] == v):
            acc[k] = v
        elif isinstance(v, int | float) and not isinstance(v, bool) and isinstance(acc[k], int | float):
            acc[k] = acc[k] + v
        elif isinstance(v, list) and isinstance(acc[k], list):
            acc[k] = acc[k] + [x for x in v if x not in acc[k]]
        elif isinstance(v, dict) and isinstance(acc[k], dict):
            acc[k] = _run_totals(acc[k], v, None)
        else:
            acc[k] = v
    return acc


class UsageError(CliError):
    """A mistake in arguments or configuration: one line naming the value and the fix (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 2)


class Busy(CliError):
    """Another run of the asset graph is in progress (exit 75, EX_TEMPFAIL: try again when it ends)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 75)


def resolve_selection(selection: str | None) -> list[Any] | None:
    """The asset keys of a Dagster selection string, refusing one that selects nothing in the daily graph."""
    if not selection:
        return None
    from dagster import AssetSelection, DagsterError

    from ccp_assets.definitions import defs
    from ccp_assets.jobs import DAILY_JOB_NAME

    fix = "e.g. --select 'key:daily_summary+' or --select 'key:raw_*' (Dagster's selection syntax)"
    try:
        keys = AssetSelection.from_string(selection).resolve(defs.resolve_asset_graph())
    except (DagsterError, ValueError) as e:
        raise UsageError(f"--select {selection!r} is not a valid asset selection ({str(e).splitlines()[0]}); "
                         f"{fix}") from None
    in_job = defs.resolve_job_def(DAILY_JOB_NAME).asset_layer.executable_asset_keys
    picked = sorted(k for k in keys if k in in_job)
    if not picked:
        raise UsageError(f"--select {selection!r} matches no asset of the daily graph; {fix}")
    return picked


@contextmanager
def one_at_a_time(settings: Settings) -> Iterator[None]:
    """Hold `$CCP_HOME/materialize.lock` (flock) for the whole landing + run of one `ccp materialize`.

    The kernel drops the lock when the process dies, even by SIGKILL, so a killed run never leaves it
    stale; the Dagster-side check (`preflight`) still covers runs launched by the daemon or the UI.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: the Dagster-side check alone
        yield
        return
    settings.ccp_home.mkdir(parents=True, exist_ok=True)
    path = settings.ccp_home / "materialize.lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown pid"
            try:
                preflight()  # names the other run when it already shows in the instance
            except Busy:
                raise
            except Exception:  # noqa: BLE001 - e.g. the other process is still creating the instance
                pass
            raise Busy(f"another `ccp materialize` is in progress ({holder}); wait for it to finish and run "
                       "`ccp materialize` again") from None
        f.truncate(0)
        f.write(f"pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def preflight(job_name: str | None = None, notice: NoticeFn | None = None, instance: Any = None) -> None:
    """Before landing: recover runs whose process is gone, then refuse if a graph run is really in progress.

    `instance`: the caller's open instance (`command_instance.CommandInstance`), else one is opened here.
    """
    from dagster import DagsterInstance

    from ccp_assets import run_guard
    from ccp_assets.jobs import DAILY_JOB_NAME

    if instance is None:
        with DagsterInstance.get() as own:
            return preflight(job_name, notice, own)
    for line in run_guard.recover(instance):
        (notice or print)(line)
    live = run_guard.in_progress(instance, job_name or DAILY_JOB_NAME)
    if live:
        raise Busy(f"another run is in progress: {live[0]}; wait for it to finish (it shows in the UI) "
                   "and run `ccp materialize` again")


def materialize(start: str, end: str, selection: str | None = None, progress: ProgressFn | None = None,
                notice: NoticeFn | None = None, instance: Any = None) -> RunOutcome:
    """One in-process run of the daily job over [start, end], recorded in the instance.

    The run carries this process's host/pid (run_guard) so a later `ccp` can tell if it was killed; a
    `RunWatch` beside it reports progress, says which run holds the warehouse slot while it waits, and
    turns SIGINT/SIGTERM into `run_watch.Interrupted`. `instance`: the caller's open instance, on which
    `preflight` has just recovered dead runs; without it one is opened here and dead runs are recovered first.
    """
    warnings.filterwarnings("ignore")
    from dagster import DagsterInstance

    if instance is None:
        with DagsterInstance.get() as own:
            from ccp_assets import run_guard

            for line in run_guard.recover(own):
                (notice or print)(line)
            return materialize(start, end, selection, progress, notice, own)
    from dagster import DagsterEventType

    from ccp_assets import run_guard
    from ccp_assets.definitions import defs
    from ccp_assets.jobs import DAILY_JOB_NAME
    from ccp_assets.run_watch import Interrupted, RunWatch
    from ccp_assets.warehouse.resource import WAREHOUSE_POOL

    job = defs.resolve_job_def(DAILY_JOB_NAME)
    asset_keys = resolve_selection(selection)
    tags = {run_guard.LAUNCHED_BY_TAG: "ccp materialize", **run_guard.process_tags(),
            **run_guard.range_tags(start, end)}
    run_id = str(uuid.uuid4())  # what Dagster's own (private) make_new_run_id returns
    graph = defs.resolve_asset_graph()
    keys = asset_keys or [k for k in graph.get_all_asset_keys() if k in job.asset_layer.executable_asset_keys]
    total = len({graph.assets_def_for_key(k).node_def.name for k in [*keys, *(c for k in keys for c in graph.get(k).check_keys)]})  # steps: several assets (and checks) may share one
    stopped: BaseException | None = None
    with RunWatch(instance, run_id, WAREHOUSE_POOL, total, progress, notice) as watch:
        try:
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                partition_key=start if start == end else None,
                tags=tags,
                raise_on_error=False,
                asset_selection=asset_keys,
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
        except BaseException as e:  # noqa: BLE001 - an interrupt is re-raised below as Interrupted
            stopped = e
    if instance.event_log_storage.supports_global_concurrency_limits:
        # The run is over and ran in this process: nothing of it can still hold a slot legitimately.
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    if watch.signum is not None:  # read by RunWatch's exit even if the signal beat its thread
        raise Interrupted(watch.signum, run_id, while_waiting=False)
    if stopped is not None:
        raise stopped
    outcome = RunOutcome(result.run_id, result.success, start, end)
    for ev in result.all_events:
        if ev.event_type == DagsterEventType.STEP_FAILURE:
            err = ev.step_failure_data.error
            msg = (err.cause.message if err and err.cause else err.message if err else "failed").strip()
            outcome.failures.append(f"{ev.step_key} [{start}..{end}]: {msg.splitlines()[-1][:300]}")
        elif ev.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            mat = ev.step_materialization_data.materialization
            entry = outcome.materialized.setdefault(mat.asset_key.to_user_string(),
                                                    {"partitions": 0, "by_partition": {}})
            entry["partitions"] += 1
            meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
            entry["by_partition"][mat.partition] = meta
            entry["metadata"] = _run_totals(entry.get("metadata"), meta, mat.partition)
        elif ev.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            data = ev.event_specific_data
            outcome.checks.append({"asset": data.asset_key.to_user_string(), "check": data.check_name,
                                   "passed": data.passed, "partition": data.partition,
                                   "metadata": {k: getattr(v, "value", v) for k, v in data.metadata.items()}})
    return outcome
