"""The team profile: the same graph on a Dagster instance whose runs and events live in a real PostgreSQL.

`make test` installs Debian's postgresql; this test starts a private cluster on a free loopback port,
points DAGSTER_HOME at deploy/postgres/dagster.yaml and runs the real `ccp materialize` against it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import ccp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` user the Debian package creates."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[dict[str, str]]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.fail("PostgreSQL is not installed: `make test` installs Debian's postgresql (make system-deps)")
    bindir = Path(bins[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="ccp-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                 "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                                 f"-p {port} -k {sock} -c listen_addresses=127.0.0.1", "start"]),
                   check=True, capture_output=True)
    try:
        subprocess.run([str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c",
                        "CREATE DATABASE dagster"], check=True, capture_output=True)
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_USER": "postgres",
               "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": "dagster"}
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


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
