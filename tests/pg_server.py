"""A real, private PostgreSQL server for the aggregator tests: Debian's postgresql package (`make test`
installs it), one cluster in a temp dir on a free 127.0.0.1 port (its unix socket in the same dir), a
fresh database per test, stopped and removed at the end of the session (the aggregator tests), or one
cluster per test (tests/scale's Dagster profile).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` user the Debian package creates."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    bindir: Path
    root: Path
    port: int

    @classmethod
    def start(cls) -> PgServer:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError(
                "PostgreSQL is not installed: `make test` installs Debian's postgresql (make system-deps)"
            )
        bindir = Path(bins[-1]).parent
        root = Path(tempfile.mkdtemp(prefix="ccp-agg-pg-"))
        data, sock = root / "data", root / "sock"
        sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(sock, "postgres")
        port = _free_port()
        subprocess.run(
            _as_postgres(
                [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )
        server = cls(bindir, root, port)
        server.resume()
        return server

    def resume(self) -> None:
        """Start (or start again, after `pause`) the server on its port."""
        opts = f"-p {self.port} -k {self.root / 'sock'} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-w", "-l", str(self.root / "log")]
        subprocess.run(_as_postgres([*pg_ctl, "-o", opts + " -c max_connections=200", "start"]), check=True,
                       capture_output=True)

    def pause(self) -> None:
        """Stop the server, keeping its data (a database outage)."""
        pg_ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-w", "-m", "fast", "stop"]
        subprocess.run(_as_postgres(pg_ctl), check=True, capture_output=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def _psql(self, sql: str) -> None:
        subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
        )

    def create_database(self, name: str | None = None) -> str:
        """A fresh, empty database (a random name unless given); its URL."""
        name = name or "t_" + secrets.token_hex(6)
        self._psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._psql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)
