"""The warehouse DDL generated from the contract (model/contract.py) against the hand-written DDL it replaced.

`schema_before_contract.json` is DuckDB's own information_schema of a fresh warehouse made by the last
hand-written DDL (captured before the change): every table and view, each column's name, type, nullability
and default in order, and the constraints. The generated DDL must give the same, and may only extend it
(a new table, a column appended at the end): INTERFACES.md's extend-never-break.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ccp_assets.model.contract import TABLES, column_types
from ccp_assets.warehouse.resource import warehouse_for
from ccp_assets.warehouse.schema import applied_version, ensure_schema, schema_version

BEFORE = json.loads((Path(__file__).parent / "schema_before_contract.json").read_text())
COLUMNS_SQL = """SELECT table_name, column_name, data_type, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"""
# DuckDB's information_schema spells two of the DDL's type names out
SPELLED = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


def _catalog(conn: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], dict[str, list[list]], list[list]]:
    kinds = dict(conn.execute("SELECT table_name, table_type FROM information_schema.tables "
                              "WHERE table_schema = 'main'").fetchall())
    cols: dict[str, list[list]] = {}
    for t, c, ty, n, de in conn.execute(COLUMNS_SQL).fetchall():
        cols.setdefault(t, []).append([c, ty, n, de])
    cons = [[t, c, list(n)] for t, c, n in conn.execute(
        "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() ORDER BY ALL").fetchall()]
    return kinds, cols, cons


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with warehouse_for(path).connect():
        pass
    return path


def test_generated_ddl_reproduces_the_hand_written_tables_views_and_constraints(fresh: Path) -> None:
    with duckdb.connect(str(fresh)) as conn:
        kinds, cols, cons = _catalog(conn)
    assert {t: k for t, k in kinds.items() if t in BEFORE["tables"]} == BEFORE["tables"]
    for table, before in BEFORE["columns"].items():
        # the same columns in the same order; a newer contract may only append columns
        assert cols[table][:len(before)] == before, table
    assert [c for c in BEFORE["constraints"] if c not in cons] == []
    new = set(kinds) - set(BEFORE["tables"])
    assert new <= set(TABLES), f"tables outside the contract: {new - set(TABLES)}"
    assert "warehouse_schema" in new


def test_every_warehouse_table_is_in_the_contract_with_its_column_types(fresh: Path) -> None:
    with duckdb.connect(str(fresh)) as conn:
        kinds, cols, _ = _catalog(conn)
    tables = {t for t, k in kinds.items() if k == "BASE TABLE"}
    assert tables == set(TABLES)
    for table in tables:
        want = [[n, SPELLED.get(t, t)] for n, t in column_types(table).items()]
        assert [c[:2] for c in cols[table]] == want, table


def test_the_schema_is_applied_once_per_version_not_on_every_connect(fresh: Path) -> None:
    w = warehouse_for(fresh)
    with w.connect() as conn:
        assert applied_version(conn) == schema_version()
        conn.execute("DROP VIEW proxy_summary_lanes")
    with w.connect() as conn:  # same version: no DDL ran, so the dropped view stays dropped
        assert conn.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'proxy_summary_lanes'"
                            ).fetchone()[0] == 0
        conn.execute("UPDATE warehouse_schema SET version = 'ddl-older'")
    with w.connect() as conn:  # another version: applied again, and recorded
        assert conn.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'proxy_summary_lanes'"
                            ).fetchone()[0] == 1
        assert conn.execute("SELECT list(version) FROM warehouse_schema").fetchone()[0] == [schema_version()]


def test_a_warehouse_from_before_versioning_gains_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:  # an older warehouse: turns without its later columns
        conn.execute('CREATE TABLE turns (turn_id VARCHAR, session_id VARCHAR, extras JSON)')
        conn.execute("INSERT INTO turns VALUES ('t1', 's1', NULL)")
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
        have = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = 'turns' ORDER BY ordinal_position").fetchall()]
        assert set(have) == set(column_types("turns"))
        assert have[:3] == ["turn_id", "session_id", "extras"]  # added columns come after the old ones
        assert conn.execute("SELECT turn_id, session_id, tokens_in FROM turns").fetchall() == [("t1", "s1", None)]
        assert applied_version(conn) == schema_version()
