"""`ccp materialize` with nothing new, answered without Dagster: a stat walk, the landing ledger, a stamp.

A no-op `ccp materialize` used to import the code location and open the Dagster instance (≈ 1.9 s on the
3.7 MB fixture, ≈ 10 s at 4 GB: more than ccusage's whole scan). It is only "up to date" when all of these
hold, and each is checked here from what is cheap to read:

- no source file has bytes the landing ledger has not seen: the ledger's own `plan` (device, inode, size,
  mtime, head hash and offset per file), run on a read-only warehouse connection over a fresh stat walk;
- no landed Parquet file belongs to a batch that never committed (a crash's leftovers);
- every day with landed data is done: `daily_summary` materialized after the day's last landed batch (the
  ledger's `landing_batches`) and no failed attempt after it. The done days and their materialization times
  come from the instance through Dagster's own API (`runs.done_days`) and are kept in a stamp
  (`$CCP_HOME/materialize_state.json`) by the `ccp materialize` that asked, together with a fingerprint of the
  instance's SQLite storage (row count and highest id of its runs and asset events, the runs' latest
  update). Any run, materialization, failure or wipe since changes the fingerprint, and then the stamp is
  not trusted; the full path deletes it before it lands;
- CCP_START_DATE and the flags are applied to those days exactly as the full path applies them.

Anything not proven (no stamp, another DAGSTER_HOME, storage configured elsewhere than the default SQLite
files, the warehouse held by a writer, the lock held by another `ccp materialize`) falls back to the full
path, which lands, asks the instance and writes the stamp again.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from ccp_assets.run_guard import read_only_row, sqlite_files
from ccp_assets.settings import Settings

STAMP = "materialize_state.json"
STAMP_VERSION = 1


def instance_fingerprint(home: Path) -> list[Any] | None:
    """What changes with every run, materialization, failure or wipe in the default SQLite instance at `home`:
    count and highest id of its runs and asset events, and the runs' latest update. None when not knowable."""
    files = sqlite_files(home)
    if files is None or not all(db.exists() for db in files):
        return None
    try:
        runs = read_only_row(files[0], "SELECT count(*), max(id), max(update_timestamp) FROM runs")
        events = read_only_row(files[1], "SELECT count(*), max(id) FROM event_logs")
    except sqlite3.Error:
        return None
    return [str(home), *runs, *events]


def remember(settings: Settings, instance: Any) -> None:
    """After the full path asked the instance: keep its done days for the next no-op, under its fingerprint.

    The fingerprint is read before and after the question; if the instance moved meanwhile, nothing is kept.
    """
    from ccp_assets.runs import done_days

    forget(settings)
    path = settings.ccp_home / STAMP
    home = Path(os.environ["DAGSTER_HOME"])
    before = instance_fingerprint(home)
    if before is None:
        return
    done = done_days(instance)
    if instance_fingerprint(home) != before:
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": STAMP_VERSION, "instance": before, "done": done}))
    tmp.replace(path)


def forget(settings: Settings) -> None:
    (settings.ccp_home / STAMP).unlink(missing_ok=True)


def _done(settings: Settings) -> dict[str, float] | None:
    try:
        stamp = json.loads((settings.ccp_home / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("version") != STAMP_VERSION:
        return None
    if stamp.get("instance") != instance_fingerprint(Path(os.environ["DAGSTER_HOME"])):
        return None
    done = stamp.get("done")
    return done if isinstance(done, dict) else None


def _landed_days(settings: Settings, conn: Any, sources: list[Any]) -> list[str] | None:
    """Days with landed Parquet, or None when a batch that never committed left files (the full path
    deletes them before it lists days). The same glob as `landing.landed_days`, which stats every folder."""
    committed = conn.execute("SELECT coalesce(max(batch_id), 0) FROM landing_batches").fetchone()[0]
    days: set[str] = set()
    for adapter in sources:
        base = settings.landing_dir / adapter.name
        for p in base.glob("day=*/*.parquet") if base.exists() else []:
            if p.name.startswith("b") and p.name[1:9].isdigit() and int(p.name[1:9]) > committed:
                return None
            days.add(p.parent.name[4:])
    return sorted(days)


def _no_new_bytes(settings: Settings) -> tuple[list[str], dict[str, float]] | None:
    """The landed days and when each last landed, if no enabled source has a byte the ledger has not seen."""
    import duckdb

    from ccp_assets.runs import landed_at
    from ccp_assets.sources.landing_ledger import LEDGER_COLUMNS, plan_against
    from ccp_assets.sources.registry import SOURCES

    if not settings.warehouse_path.exists():
        return None
    try:
        conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.Error:  # a writer holds it, or it is not a warehouse yet: the full path knows what to do
        return None
    try:
        # No bound parameters in this module's queries: binding one makes DuckDB import pandas (≈ 0.25 s).
        ledger: dict[str, dict[str, tuple]] = {}
        for source, *row in conn.execute(f"SELECT source, {LEDGER_COLUMNS} FROM landing_files").fetchall():
            ledger.setdefault(source, {})[row[0]] = tuple(row[1:])
        for adapter in SOURCES:
            if adapter.enabled(settings) and plan_against(ledger.get(adapter.name, {}), adapter.files(settings)):
                return None
        days = _landed_days(settings, conn, SOURCES)
        return None if days is None else (days, landed_at(conn))
    except duckdb.Error:
        return None
    finally:
        conn.close()


def nothing_to_do(settings: Settings) -> list[str] | None:
    """The days with data when `ccp materialize` (no flags) has provably nothing to run; else None.

    The caller holds the materialize lock. Cheap checks first: the stamp, then the stat walk.
    """
    from ccp_assets import runs

    done = _done(settings)
    if done is None:
        return None
    found = _no_new_bytes(settings)
    if found is None or not found[0]:  # no data at all: the full path says which variable to set
        return None
    days, landed = found
    if runs.clamp_range(runs.stale_days(days, landed, done), None, None, settings) is not None:
        return None
    return days
