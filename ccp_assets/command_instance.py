"""One DagsterInstance for a whole `ccp materialize`, opened beside the landing."""

from __future__ import annotations

import threading
from typing import Any


class CommandInstance:
    """The one DagsterInstance of a `ccp materialize` (preflight, days to run, the run, the stamp), closed once.

    It used to open four (two preflights, `days_to_run`, the run) and a fifth for the stamp. `start()` opens it
    in a thread and loads the code location beside it while the main thread lands: cold, that is Dagster's
    storage imports, the SQLite DDL of a fresh instance (fsync-bound) and the definitions (≈ 1 s of CPU on the
    fixture, more of wall), against landing that runs in DuckDB (which releases the GIL). Landing's own
    modules (which import Dagster through the warehouse resource) are imported before the thread starts, so the
    two threads import disjoint module sets. `get()` waits for it (or opens it here if never started) and
    re-raises what the thread raised.
    """

    def __init__(self) -> None:
        self._instance: Any = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._unwanted = threading.Event()  # the command ends without a run: skip the definitions

    def start(self) -> CommandInstance:
        import ccp_assets.sources.landing  # noqa: F401 - see the class docstring: land_all's imports, here
        import ccp_assets.sources.registry  # noqa: F401
        import ccp_assets.warehouse.resource  # noqa: F401

        self._thread = threading.Thread(target=self._open, args=(True,), name="ccp-instance", daemon=True)
        self._thread.start()
        return self

    def _open(self, load_definitions: bool) -> None:
        try:
            from dagster import DagsterInstance

            self._instance = DagsterInstance.get()
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread by get()
            self._error = e
            return
        if load_definitions and not self._unwanted.is_set():
            import warnings

            warnings.filterwarnings("ignore")  # as runs.materialize does before it loads them
            try:
                from ccp_assets.definitions import defs
                from ccp_assets.jobs import DAILY_JOB_NAME

                defs.resolve_job_def(DAILY_JOB_NAME)  # cached by Definitions: the run asks for it next
            except Exception:  # noqa: BLE001, S110 - the run loads them again and reports it in its own words
                pass

    def get(self) -> Any:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        elif self._instance is None and self._error is None:
            self._open(load_definitions=False)
        if self._error is not None:
            raise self._error
        return self._instance

    def __enter__(self) -> CommandInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:  # no run after all, or interrupted: let it finish creating the storage
            self._unwanted.set()
            self._thread.join(timeout=30)
        if self._instance is not None:
            self._instance.dispose()
