"""Fixtures for the upload tests: a real operator key, licenses and policy packs signed with it, the real
aggregator served over HTTP on 127.0.0.1 (uvicorn in a thread, or a subprocess that can be killed), a
recorder of every request it receives, and a socket audit hook for the local tier."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ccp_assets.aggregator.app import create_app
from ccp_assets.aggregator.config import AggregatorConfig
from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, mint_policy, sign_envelope
from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION, REPO, CcpEnv, MaterializedHome

TEST_TOOLS = REPO / "tests" / "tools"
KID = "upl-test-1"
ALL = ["telemetry_minimized", "telemetry_full", "policy_packs"]
MAIN = next((CLAUDE_FIXTURE / "projects").glob("*/")) / f"{MAIN_SESSION}.jsonl"


def contract_lib() -> Any:
    """The contract helpers (planted secrets, forbidden strings): tests/tools/contract_lib.py, the spec's own copy."""
    spec = importlib.util.spec_from_file_location("contract_lib", TEST_TOOLS / "contract_lib.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --- licensing -----------------------------------------------------------------------------------------
@dataclass
class Operator:
    tmp: Path
    key: Any
    kid: str
    keys_file: Path

    def pack(self, features: list[str] | None = None, *, plan: str = "pro", days: float = 30,
             now: float | None = None, license_id: str = "lic-upl-1") -> dict[str, Any]:
        body = build_license(self.kid, plan, ALL if features is None else features, days, license_id=license_id,
                             now=now)
        return sign_envelope("license", body, self.key)

    def write_pack(self, path: Path, features: list[str] | None = None, **kw: Any) -> Path:
        path.write_text(json.dumps(self.pack(features, **kw)))
        return path

    def policy(self, version: int = 1, *, days: float = 30, retention_days: int = 0,
               upload_limits: dict[str, int] | None = None, redaction_rules: list[dict[str, str]] | None = None,
               now: float | None = None) -> str:
        return json.dumps(mint_policy(self.key, self.kid, version, days, allowed_models={"pro": ["claude-*"]},
                                      retention_days=retention_days, redaction_rules=redaction_rules or [],
                                      upload_limits=upload_limits or {}, now=now))


@pytest.fixture
def operator(tmp_path: Path) -> Operator:
    key_path, pub_path = keygen(KID, tmp_path / "operator")
    return Operator(tmp_path, load_private_key(key_path), KID, pub_path)


def setenv(ccp_env: CcpEnv, monkeypatch: pytest.MonkeyPatch, **values: str | None) -> None:
    """Set (or unset with None) variables for this process and for `ccp` subprocesses alike."""
    for k, v in values.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
            ccp_env.env.pop(k, None)
        else:
            monkeypatch.setenv(k, v)
            ccp_env.env[k] = v


def license_env(ccp_env: CcpEnv, monkeypatch: pytest.MonkeyPatch, operator: Operator, tier: str,
                features: list[str] | None = None, url: str | None = None, **pack_kw: Any) -> Path:
    """A license pack signed by `operator`, trusted through CCP_TRUSTED_KEYS, and the requested tier."""
    pack = operator.write_pack(ccp_env.tmp / "license.pack", features, **pack_kw)
    setenv(ccp_env, monkeypatch, CCP_PRIVACY_TIER=tier, CCP_LICENSE_PACK=str(pack),
           CCP_TRUSTED_KEYS=str(operator.keys_file), CCP_AGGREGATOR_URL=url)
    return pack


# --- the aggregator ----------------------------------------------------------------------------------------
@dataclass
class Recorder:
    """ASGI wrapper that records every HTTP request: path, key, encoding, status, Retry-After, time."""

    app: Any
    requests: list[dict[str, Any]] = field(default_factory=list)
    drop_answer_of: set[int] = field(default_factory=set)  # ordinals of uploads whose answer is lost in transit
    _uploads: int = 0

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ordinal = 0
        if scope["method"] == "POST" and scope["path"].startswith("/v1/"):
            self._uploads += 1
            ordinal = self._uploads
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rec: dict[str, Any] = {"t": time.monotonic(), "method": scope["method"], "path": scope["path"],
                               "key": headers.get("idempotency-key"), "encoding": headers.get("content-encoding"),
                               "license": bool(headers.get("x-ccp-license")), "status": None, "retry_after": None}

        async def send_and_record(message: dict) -> None:
            if message["type"] == "http.response.body" and ordinal in self.drop_answer_of:
                rec["dropped"] = True  # stored by the app, but the connection dies before the body
                raise ConnectionAbortedError("answer lost in transit (test fault)")
            if message["type"] == "http.response.start":
                rec["status"] = message["status"]
                for k, v in message.get("headers", []):
                    if k.decode("latin-1").lower() == "retry-after":
                        rec["retry_after"] = v.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            self.requests.append(rec)

    def uploads(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].startswith("/v1/") and r["method"] == "POST"]


@dataclass
class Served:
    url: str
    app: Any
    recorder: Recorder
    server: uvicorn.Server
    thread: threading.Thread
    db_path: Path

    def counts(self) -> dict[str, int]:
        return self.app.state.store.counts()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.store.close()


def db_bytes(db_path: Path) -> bytes:
    """Every byte the aggregator stored: the database file and its WAL/SHM companions."""
    return b"".join(p.read_bytes() for p in sorted(db_path.parent.glob(db_path.name + "*")))


def stored_rows(db_path: Path, sql: str) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def serve_in_thread(config: AggregatorConfig) -> Served:
    app = create_app(config)
    recorder = Recorder(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(recorder, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return Served(f"http://127.0.0.1:{port}", app, recorder, server, thread, config.db_path)


@pytest.fixture
def aggregator(tmp_path: Path, operator: Operator) -> Iterator[Callable[..., Served]]:
    """`aggregator(**config overrides)`: the real aggregator trusting `operator`, on a fresh port."""
    running: list[Served] = []

    def start(**over: Any) -> Served:
        values: dict[str, Any] = {"db_path": tmp_path / "agg" / "aggregator.sqlite", "trusted_keys": operator.keys_file,
                                  "include_builtin_keys": False, "rate_per_s": 1000.0, "rate_burst": 1000}
        values.update(over)
        served = serve_in_thread(AggregatorConfig(**values))
        running.append(served)
        return served

    yield start
    for served in running:
        served.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AggregatorProcess:
    """`ccp aggregator serve` as a real process (python -m ccp_assets.aggregator), killable with SIGKILL."""

    def __init__(self, operator: Operator, db_path: Path, port: int | None = None, **env: str) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CCP_", "PYTEST"))}
        self.env.update({"CCP_HOME": str(db_path.parent), "CCP_AGGREGATOR_DB": str(db_path),
                         "CCP_AGGREGATOR_TRUSTED_KEYS": str(operator.keys_file),
                         "CCP_AGGREGATOR_RATE_BURST": "10000", "CCP_AGGREGATOR_RATE_PER_S": "1000", **env})
        self.proc: subprocess.Popen | None = None

    def start(self) -> AggregatorProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ccp_assets.aggregator", "serve", "--host", "127.0.0.1", "--port",
             str(self.port), "--log-level", "warning"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"aggregator exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("aggregator did not come up")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: no shutdown hook, no checkpoint
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


# --- materialized homes, shared between tests (one Dagster run per session, copied per test) ------------
@pytest.fixture(scope="session")
def fixture_home(claude_run: MaterializedHome) -> Path:
    """CCP_HOME after a local-tier `materialize` of the real Claude Code fixture (2026-02-10..12): a template,
    never written (`use_home` copies it)."""
    return claude_run.ccp_home


def use_home(template: Path, ccp_env: CcpEnv) -> Path:
    """A private copy of a materialized CCP_HOME as this test's CCP_HOME."""
    shutil.copytree(template, ccp_env.ccp_home)
    return ccp_env.ccp_home


# --- the local tier's promise: no inet socket at all ---------------------------------------------------------
_INET = {socket.AF_INET, socket.AF_INET6, -1}  # -1: socket.socket()'s default family, which is AF_INET
_DNS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr",
        "socket.getnameinfo"}
_SOCKET_OPS = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"}


class NetworkGuard:
    """A process-wide audit hook (hooks cannot be removed, so it is armed and disarmed): while armed, any
    AF_INET/AF_INET6 socket creation, connect, bind, send and any DNS lookup is recorded and refused."""

    installed = False
    armed = False
    hits: list[str] = []

    @classmethod
    def install(cls) -> None:
        if not cls.installed:
            sys.addaudithook(cls._hook)
            cls.installed = True

    @classmethod
    def _hook(cls, event: str, args: tuple) -> None:
        if not cls.armed or not event.startswith("socket."):
            return
        bad = None
        if event == "socket.__new__":
            if args[1] in _INET:
                bad = f"socket.socket(family={args[1]})"
        elif event in _DNS:
            bad = f"{event}{args[:2]!r}"
        elif event in _SOCKET_OPS:
            sock = args[0]
            if getattr(sock, "family", None) in _INET:
                bad = f"{event}({args[1:2]!r})"
        if bad:
            cls.hits.append(f"{bad} in thread {threading.current_thread().name}")
            raise PermissionError(f"network access in the local tier: {bad}")

    def __enter__(self) -> NetworkGuard:
        self.install()
        NetworkGuard.hits = []
        NetworkGuard.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        NetworkGuard.armed = False
