"""The one door to the warehouse (this package): every writing connection is `WarehouseResource.connect()`.

DuckDB allows one writing process per file, so runs that write it share the Dagster pool
`duckdb_warehouse` (limit 1 in dagster_home/dagster.yaml) and each step opens a single connection.
Readers (`ccp report`, the upload gate and the sender, none of them inside a run) open it read-only
through the same package: `warehouse.readonly.open_read_only`, kept free of Dagster imports, waits while a
run holds the write lock.
Swapping this resource is how a team points the same assets at a shared database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource

from ccp_assets.settings import Settings, load_settings
from ccp_assets.warehouse.schema import ensure_schema

WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(DuckDBResource):
    """DuckDBResource that guarantees the v1 tables and views exist on every writing connection.

    `database` empty means `$CCP_HOME/warehouse.duckdb`, resolved when a step runs (not at import),
    so one code location follows the environment it runs in.
    """

    database: str = ""

    def resolved_path(self, settings: Settings | None = None) -> Path:
        if self.database:
            return Path(self.database)
        return (settings or load_settings()).warehouse_path

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        settings = load_settings()  # once per connection: the path and the memory limit
        path = self.resolved_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        # DuckDB's default memory limit is 80% of RAM and it keeps what it may; a limit makes it spill
        # instead, which keeps a cold build's peak RSS bounded whatever the corpus size.
        config = {"memory_limit": settings.duckdb_memory_limit, **self.connection_config}
        resource = self.model_copy(update={"database": str(path), "connection_config": config})
        with DuckDBResource.get_connection(resource) as conn:
            ensure_schema(conn)
            yield conn


def warehouse_for(path: Path) -> WarehouseResource:
    """The resource for a warehouse file, as the CLI uses it outside a Dagster run."""
    return WarehouseResource(database=str(path), connection_config={"threads": 2})
