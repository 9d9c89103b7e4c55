"""Fixtures: a real operator key (made with `keygen`), licenses minted with it, and aggregators served over
real HTTP on 127.0.0.1 by uvicorn in a thread (a pre-bound socket on a free port, so no port race).

Every test that serves an aggregator (`serve`, `agg`) or opens a store (`open_store`) runs twice: on the
SQLite store and on the PostgreSQL store (`store_kind`), the latter in a fresh database of ONE real
PostgreSQL server started for the session (tests/pg_server.py)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from ccp_assets.aggregator.app import create_app
from ccp_assets.aggregator.config import AggregatorConfig
from ccp_assets.aggregator.server import bound_socket, server_config, spawn
from ccp_assets.aggregator.storage import Storage, open_storage
from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, sign_envelope
from tests.pg_server import PgServer

KID = "agg-test-1"
ALL = ["telemetry_minimized", "telemetry_full"]


@dataclass
class Operator:
    """The licensing operator: a fresh Ed25519 key and the keyring file that trusts it."""

    tmp: Path
    key: Any
    kid: str
    keys_file: Path

    def pack(
        self,
        features: list[str] | None = None,
        *,
        plan: str = "pro",
        days: float = 30,
        license_id: str = "lic-agg-1",
        now: float | None = None,
        key: Any = None,
        org: str | None = None,
    ) -> dict[str, Any]:
        body = build_license(
            self.kid, plan, ALL if features is None else features, days, license_id=license_id, now=now, org=org
        )
        return sign_envelope("license", body, key or self.key)

    def header(self, pack: dict[str, Any] | None = None, **kw: Any) -> str:
        return encode(pack if pack is not None else self.pack(**kw))


def encode(pack: dict[str, Any] | bytes) -> str:
    raw = pack if isinstance(pack, bytes) else json.dumps(pack).encode()
    return base64.b64encode(raw).decode()


def headers(license_header: str | None, key: str | None = "k-1", **extra: str) -> dict[str, str]:
    out = {k.replace("_", "-"): v for k, v in extra.items()}
    if license_header is not None:
        out["X-CCP-License"] = license_header
    if key is not None:
        out["Idempotency-Key"] = key
    return out


def summary(day: str = "2026-02-14", **over: Any) -> dict[str, Any]:
    """A minimized metrics summary as the client uploads it."""
    doc: dict[str, Any] = {
        "date": day,
        "tier": "minimized",
        "schema_version": "ccp.metrics.v1",
        "sessions": 4,
        "turns": 212,
        "features_shipped": 3,
        "capacity_used": {"pp": 37.5, "prompts": 120},
        "features_per_capacity": {"pp": 0.08, "prompts": 0.025, "mtok": None},
        "avg_cls": 0.42,
        "avg_impf": 3.5,
        "avg_churn_score": None,
        "tokens_by_model": {
            "claude-sonnet-4-5-20250929": {
                "input": 100,
                "output": 2000,
                "cache_creation": 7,
                "cache_read": 5,
                "total": 2112,
            },
            "glm-4.6": 1234,
        },
        "cost_usd_by_model": {"claude-sonnet-4-5-20250929": 1.25, "glm-4.6": 0.5},
        "model_share": {"claude-sonnet-4-5-20250929": {"turns": 0.7, "tokens": 0.8}},
    }
    doc.update(over)
    return doc


@pytest.fixture
def operator(tmp_path: Path) -> Operator:
    key_path, pub_path = keygen(KID, tmp_path / "operator")
    return Operator(tmp_path, load_private_key(key_path), KID, pub_path)


@dataclass
class Served:
    """One running aggregator: its base URL, app (with `.state.store`) and uvicorn server."""

    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kw)

    def counts(self) -> dict[str, int]:
        return self.app.state.store.counts()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.store.close()


def serve_app(app: FastAPI) -> Served:
    """Served with the product's own uvicorn settings (server.py: header cap, no proxy headers)."""
    sock = bound_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return Served(f"http://127.0.0.1:{port}", app, server, thread)


# --- the two stores -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server for the whole session (a fresh database per test)."""
    server = PgServer.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(store_kind: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None on SQLite; on PostgreSQL the URL of a fresh database, dropped after the test."""
    if store_kind == "sqlite":
        yield None
        return
    pg: PgServer = request.getfixturevalue("pg_server")
    url = pg.create_database()
    yield url
    pg.drop_database(url)


@pytest.fixture
def open_store(tmp_path: Path, db_url: str | None) -> Iterator[Callable[..., Storage]]:
    """`open_store(name)`: a new connection to database `name` (the same name: the same database) on the
    store under test; all are closed at the end."""
    opened: list[Storage] = []
    urls: dict[str, str] = {}

    def open_(name: str = "a") -> Storage:
        if db_url is None:
            store = open_storage(tmp_path / f"{name}.sqlite")
        else:
            if name not in urls:
                urls[name] = db_url if not urls else db_url.rsplit("/", 1)[0] + "/" + _extra_db(db_url, name)
            store = open_storage(urls[name])
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def db_rows(tmp_path: Path, db_url: str | None) -> Callable[[str], list[tuple]]:
    """`db_rows(sql)`: rows of a query on the served aggregator's database, whichever store it is."""

    def run(sql: str) -> list[tuple]:
        if db_url is None:
            import sqlite3

            with sqlite3.connect(tmp_path / "aggregator.sqlite") as db:
                return db.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(db_url) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]

    return run


def _extra_db(db_url: str, name: str) -> str:
    """A second database on the same server for a test that opens two different ones (rare)."""
    import psycopg

    dbname = f"{db_url.rsplit('/', 1)[1]}_{name}"
    with psycopg.connect(db_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {dbname}")
    return dbname


def base_config(tmp_path: Path, operator: Operator, db_url: str | None = None, **over: Any) -> AggregatorConfig:
    values: dict[str, Any] = {
        "db_path": tmp_path / "aggregator.sqlite",
        "db_url": db_url,
        "trusted_keys": operator.keys_file,
        "include_builtin_keys": False,
        "rate_per_s": 1000.0,
        "rate_burst": 1000,
    }
    values.update(over)
    return AggregatorConfig(**values)


@pytest.fixture
def serve(tmp_path: Path, operator: Operator, db_url: str | None) -> Iterator[Callable[..., Served]]:
    """`serve(**config overrides)` starts an aggregator on a fresh port, on the store under test; all are
    stopped at the end."""
    running: list[Served] = []

    def start(**over: Any) -> Served:
        served = serve_app(create_app(base_config(tmp_path, operator, db_url, **over)))
        running.append(served)
        return served

    yield start
    for served in running:
        served.stop()


@pytest.fixture
def serve_app_on(tmp_path: Path, operator: Operator) -> Iterator[Callable[[str], Served]]:
    """`serve_app_on(postgresql_url)`: an aggregator on a database of the test's own choosing."""
    running: list[Served] = []

    def start(url: str) -> Served:
        running.append(serve_app(create_app(base_config(tmp_path, operator, url))))
        return running[-1]

    yield start
    for served in running:
        served.stop()


@pytest.fixture
def agg(serve: Callable[..., Served]) -> Served:
    return serve()


# --- a real server process (python -m ccp_assets.aggregator serve) -------------------------------------
def start(env: dict[str, str], **popen: Any) -> tuple[subprocess.Popen, str]:
    """`python -m ccp_assets.aggregator serve` on a free loopback port: a real server process."""
    return spawn(env, **popen)


def env_for(operator: Operator, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCP_", "PYTEST"))}
    env.update(
        {
            "CCP_HOME": str(operator.tmp / "home"),
            "CCP_AGGREGATOR_DB": str(db),
            "CCP_AGGREGATOR_TRUSTED_KEYS": str(operator.keys_file),
            "CCP_AGGREGATOR_RATE_BURST": "10000",
        }
    )
    return env


# --- the team view: two installs with halves of the fixture transcripts (team_installs.py) --------------
@pytest.fixture(scope="session")
def half_homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two materialized CCP_HOMEs (one Dagster run each, once per session; copied per test)."""
    from tests.aggregator.team_installs import materialize_half

    return {name: materialize_half(tmp_path_factory.mktemp(f"half-{name}"), name) for name in ("a", "b")}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium (tests/browser installs it through `make system-deps` when missing)."""
    from tests.browser.conftest import _ensure_chromium

    reason = _ensure_chromium()
    if reason:
        pytest.skip(f"Debian's Chromium (/usr/bin/chromium) is not installed and cannot be installed here: {reason}")
    return "/usr/bin/chromium"
