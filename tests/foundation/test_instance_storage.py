"""The instance storage of dagster_home/dagster.yaml (ccp_assets/instance_storage.py) is Dagster's SQLite storage
with open connections: same files, same answers, the webserver's live view still woken, wipes still clean.

Real instances in temporary DAGSTER_HOMEs, real SQLite files, Dagster's own file watcher.
"""

from __future__ import annotations

import inspect
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, DagsterRun
from dagster._core.events import AssetMaterializationPlannedData, DagsterEvent
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from ccp_assets.cli.nothing_new import instance_fingerprint
from ccp_assets.instance_storage import CcpSqliteStorage, PooledSqliteEventLogStorage

REPO = Path(__file__).resolve().parents[2]
STOCK_YAML = "telemetry:\n  enabled: false\n"


@pytest.fixture
def home(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    h = tmp_path / "dagster_home"
    h.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", h / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(h))
    return h


def _instance(home: Path) -> DagsterInstance:
    return DagsterInstance.from_config(str(home))


def _planned(asset: str, day: str) -> DagsterEvent:
    return DagsterEvent.build_asset_materialization_planned_event(
        "ccp_daily", "step", AssetMaterializationPlannedData(AssetKey(asset), partition=day))


def _log(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(error_info=None, level=20, user_message=message, run_id=run_id, timestamp=time.time())


def test_repo_yaml_gives_the_pooled_event_log(home: Path) -> None:
    with _instance(home) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
        assert instance.get_ref().storage_data.class_name == CcpSqliteStorage.__name__  # run workers rebuild it


def test_same_files_as_dagsters_default_storage(home: Path) -> None:
    """Events written through it are read by the stock storage from the stock paths (and back), so switching
    dagster.yaml either way loses nothing, and cli/nothing_new.py's fingerprint reads them."""
    run_id = str(uuid.uuid4())
    with _instance(home) as instance:
        instance.add_run(DagsterRun(job_name="ccp_daily", run_id=run_id))
        for day in ("2026-02-10", "2026-02-11", "2026-02-12"):
            instance.report_dagster_event(_planned("daily_summary", day), run_id)
        instance.event_log_storage.store_event(_log(run_id, "hello"))
    assert (home / "history" / "runs" / f"{run_id}.db").exists()
    assert (home / "history" / "runs" / "index.db").exists()
    assert instance_fingerprint(home) is not None  # our storage keeps the fast no-op path

    (home / "dagster.yaml").write_text(STOCK_YAML)
    with _instance(home) as stock:
        assert type(stock.event_log_storage) is SqliteEventLogStorage
        logs = stock.all_logs(run_id)
        assert [e.dagster_event.partition for e in logs if e.dagster_event] == ["2026-02-10", "2026-02-11",
                                                                                 "2026-02-12"]
        assert logs[-1].user_message == "hello"
        stock.report_dagster_event(_planned("daily_summary", "2026-02-13"), run_id)

    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    with _instance(home) as again:
        assert len(again.all_logs(run_id)) == 5


def test_the_webservers_file_watcher_still_sees_a_run(home: Path) -> None:
    """The UI's live run view watches the run's .db file (Dagster's SqliteEventLogStorageWatchdog): a log line
    wakes it, and the bulk events written before it (not checkpointed one by one) arrive with it."""
    run_id = str(uuid.uuid4())
    seen: list[EventLogEntry] = []
    arrived = threading.Event()

    def callback(entry: EventLogEntry, _cursor: str) -> None:
        seen.append(entry)
        if entry.user_message == "step done":
            arrived.set()

    with _instance(home) as writer, _instance(home) as webserver:
        writer.add_run(DagsterRun(job_name="ccp_daily", run_id=run_id))
        writer.event_log_storage.store_event(_log(run_id, "run started"))  # the shard exists before the watch
        webserver.event_log_storage.watch(run_id, None, callback)
        try:
            time.sleep(0.3)  # the watchdog observer thread is up
            for day in ("2026-02-10", "2026-02-11"):
                writer.report_dagster_event(_planned("usage_cost", day), run_id)
            writer.event_log_storage.store_event(_log(run_id, "step done"))
            assert arrived.wait(20), f"the watcher never woke: {[e.user_message for e in seen]}"
        finally:
            webserver.event_log_storage.end_watch(run_id, callback)
    partitions = [e.dagster_event.partition for e in seen if e.dagster_event]
    assert partitions == ["2026-02-10", "2026-02-11"]


def test_wipe_leaves_a_storage_that_still_writes(home: Path) -> None:
    run_id, later = str(uuid.uuid4()), str(uuid.uuid4())
    with _instance(home) as instance:
        instance.add_run(DagsterRun(job_name="ccp_daily", run_id=run_id))
        instance.report_dagster_event(_planned("daily_summary", "2026-02-10"), run_id)
        instance.wipe()
        assert not (home / "history" / "runs" / f"{run_id}.db").exists()
        instance.add_run(DagsterRun(job_name="ccp_daily", run_id=later))
        instance.report_dagster_event(_planned("daily_summary", "2026-02-11"), later)
        assert [e.dagster_event.partition for e in instance.all_logs(later)] == ["2026-02-11"]
        assert instance.all_logs(run_id) == []


def test_a_forked_child_opens_its_own_connections(home: Path) -> None:
    run_id = str(uuid.uuid4())
    with _instance(home) as instance:
        instance.add_run(DagsterRun(job_name="ccp_daily", run_id=run_id))
        instance.report_dagster_event(_planned("daily_summary", "2026-02-10"), run_id)
        pid = os.fork()
        if pid == 0:  # the child writes through the storage it inherited
            code = 1
            try:
                instance.report_dagster_event(_planned("daily_summary", "2026-02-11"), run_id)
                code = 0
            finally:
                os._exit(code)
        assert os.waitpid(pid, 0)[1] == 0
        instance.report_dagster_event(_planned("daily_summary", "2026-02-12"), run_id)
        assert [e.dagster_event.partition for e in instance.all_logs(run_id)] == ["2026-02-10", "2026-02-11",
                                                                                  "2026-02-12"]


def test_the_private_hooks_it_overrides_are_still_there() -> None:
    """Dagster is pinned to 1.13; if an upgrade moves these, this fails before anything else does."""
    assert list(inspect.signature(SqliteEventLogStorage._connect).parameters) == ["self", "shard"]
    assert list(inspect.signature(SqliteEventLogStorage._initdb).parameters)[:2] == ["self", "engine"]
    storage = SqliteEventLogStorage.__init__.__code__.co_names
    assert "_db_lock" in storage and "_initialized_dbs" in storage


def test_a_home_ccp_creates_gets_the_same_storage_and_no_telemetry(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """`ccp` writes a dagster.yaml where none exists (runs.ensure_dagster_home): the product's storage, telemetry off."""
    import yaml

    from ccp_assets.runs import ensure_dagster_home
    from ccp_assets.settings import load_settings

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "new_home"))
    home = ensure_dagster_home(load_settings())
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["telemetry"] == {"enabled": False}
    assert config["storage"] == yaml.safe_load((REPO / "dagster_home" / "dagster.yaml").read_text())["storage"]
    with _instance(home) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
