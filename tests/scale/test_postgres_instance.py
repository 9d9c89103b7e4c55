"""The team profile: the same graph on a Dagster instance whose runs and events live in a real PostgreSQL.

`make test` installs Debian's postgresql; this test starts a private cluster on a free loopback port,
points DAGSTER_HOME at deploy/postgres/dagster.yaml and runs the real `ccp materialize` against it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import REPO
from tests.helpers import ccp
from tests.pg_server import PgServer


@pytest.fixture
def postgres() -> Iterator[dict[str, str]]:
    server = PgServer.start()  # a private cluster on a free loopback port (tests/pg_server.py)
    try:
        server.create_database("dagster")
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(server.port), "DAGSTER_PG_USER": "postgres",
               "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "dagster"}
    finally:
        server.stop()


def test_graph_runs_on_a_postgres_backed_instance(claude_fixture, ccp_env, postgres):
    shutil.copy(REPO / "deploy" / "postgres" / "dagster.yaml", ccp_env.dagster_home / "dagster.yaml")
    env = {**ccp_env.env, **postgres}
    r = ccp(env, "materialize")
    assert "success" in r.stderr
    import psycopg2

    conn = psycopg2.connect(host=postgres["DAGSTER_PG_HOST"], port=int(postgres["DAGSTER_PG_PORT"]),
                            user="postgres", dbname="dagster")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT status FROM runs")
            statuses = [row[0] for row in cur.fetchall()]
            cur.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
            materializations = cur.fetchone()[0]
    finally:
        conn.close()
    assert statuses == ["SUCCESS"]
    assert materializations > 0
    assert not list(ccp_env.dagster_home.glob("*.db")) and not (ccp_env.dagster_home / "history").exists()
