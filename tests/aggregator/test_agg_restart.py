"""Durability: `kill -9` the aggregator (also in the middle of an upload), restart it on the same database,
replay every key: each upload is stored exactly once. Also the CLI entry point and its refusals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import typer
from typer.testing import CliRunner

from ccp_assets.cli.aggregator_cmd import register

from .conftest import Operator, env_for, headers, start, summary


def slow_body(sent: threading.Event, killed: threading.Event) -> Iterator[bytes]:
    yield b'{"events": ['
    yield b'{"kind": "turn"},' * 1000
    sent.set()
    killed.wait(20)  # the server is killed while it waits for the rest
    yield b"{}]}"


def test_kill_9_and_restart_store_each_key_once(operator: Operator, tmp_path: Path, db_url, db_rows) -> None:
    db = tmp_path / "aggregator.sqlite"  # what db_rows reads on SQLite
    env = env_for(operator, db)
    if db_url is not None:
        env["CCP_AGGREGATOR_DB"] = db_url
    lic = operator.header()
    uploads = [("/v1/metrics", f"m-{i}", summary(f"2026-02-{10 + i}")) for i in range(5)]
    uploads += [
        ("/v1/events", f"e-{i}", {"events": [{"kind": "turn", "n": n} for n in range(20)]}) for i in range(2)
    ]

    proc, url = start(env)
    try:
        first = {}
        with httpx.Client(base_url=url, timeout=10) as c:
            for path, key, doc in uploads:
                r = c.post(path, headers=headers(lic, key), json=doc)
                assert r.status_code == 202, r.text
                first[key] = r.json()
        sent, killed, failed = threading.Event(), threading.Event(), []

        def interrupted() -> None:
            try:
                httpx.post(
                    f"{url}/v1/events",
                    headers=headers(lic, "slow"),
                    content=slow_body(sent, killed),
                    timeout=20,
                )
            except httpx.TransportError as e:
                failed.append(e)

        def burst() -> None:  # uploads in flight when the server dies, some mid-transaction
            batch = {"events": [{"kind": "turn", "n": n} for n in range(300)]}
            with httpx.Client(base_url=url, timeout=10) as c:
                for i in range(10_000):
                    try:
                        c.post("/v1/events", headers=headers(lic, f"burst-{i}"), json=batch)
                    except httpx.TransportError:
                        return

        t = threading.Thread(target=interrupted, daemon=True)
        t.start()
        bursts = [threading.Thread(target=burst, daemon=True) for _ in range(3)]
        for b in bursts:
            b.start()
        assert sent.wait(10)
        time.sleep(0.5)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        killed.set()
    t.join(10)
    for b in bursts:
        b.join(10)
    assert failed, "the interrupted upload must not have been answered"

    proc, url = start(env)
    try:
        with httpx.Client(base_url=url, timeout=10) as c:
            for path, key, doc in uploads:
                r = c.post(path, headers=headers(lic, key), json=doc)
                assert r.status_code == 202 and r.json() == first[key], (key, r.text)
                assert r.headers["Idempotent-Replayed"] == "true"
            fresh = c.post("/v1/events", headers=headers(lic, "slow"), json={"events": [{}]})
            assert fresh.status_code == 202 and "Idempotent-Replayed" not in fresh.headers
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    if db_url is None:
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    keys = [k for (k,) in db_rows("SELECT idem_key FROM uploads WHERE idem_key NOT LIKE 'burst-%'")]
    assert sorted(keys) == sorted([key for _, key, _ in uploads] + ["slow"])
    assert db_rows("SELECT count(*) FROM metrics")[0][0] == 5
    # every upload, including those cut off by the kill, is all there or not there at all
    rows = db_rows(
        "SELECT u.idem_key, u.answer, (SELECT count(*) FROM events e WHERE e.upload_id = u.id) "
        "+ (SELECT count(*) FROM metrics m WHERE m.upload_id = u.id) FROM uploads u"
    )
    assert all(json.loads(answer)["stored"] == n for _, answer, n in rows)
    assert sum(1 for k, _, _ in rows if k.startswith("burst-")) > 0
    assert db_rows("SELECT count(*) FROM events")[0][0] == sum(n for _, _, n in rows) - 5


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """A root like `ccp` to register on."""

    register(app)
    return app


def test_cli_help_and_configuration_error(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli(), ["aggregator", "serve", "--help"])
    assert r.exit_code == 0 and "--port" in r.output and "--host" in r.output
    bad_keys = tmp_path / "keys.json"
    bad_keys.write_text(json.dumps({"keys": {"k": "not base64!"}}))
    env = {"CCP_AGGREGATOR_DB": str(tmp_path / "a.sqlite"), "CCP_AGGREGATOR_TRUSTED_KEYS": str(bad_keys)}
    r = runner.invoke(cli(), ["aggregator", "serve", "--port", "0"], env=env)
    assert r.exit_code == 2 and "configuration error" in r.output and "not valid base64" in r.output
    r = runner.invoke(
        cli(),
        ["aggregator", "serve"],
        env={
            **env,
            "CCP_AGGREGATOR_TRUSTED_KEYS": "",
            "CCP_TRUSTED_KEYS": "",
            "CCP_AGGREGATOR_RATE_BURST": "lots",
        },
    )
    assert r.exit_code == 2 and "rate_burst" in r.output
    r = runner.invoke(
        cli(),
        ["aggregator", "serve"],
        env={
            **env,
            "CCP_AGGREGATOR_TRUSTED_KEYS": "",
            "CCP_TRUSTED_KEYS": "",
            "CCP_AGGREGATOR_TRUSTED_PROXIES": "10.0.0.1, banana",
        },
    )
    assert r.exit_code == 2 and "trusted_proxies" in r.output and "'banana'" in r.output
    assert r.output.strip().count("\n") == 0
