"""The local tier sends nothing, provably: no inet socket, no DNS lookup, no HTTP client, in-process (audit
hook over a whole materialize + upload) and in the real `ccp` (strace), even with a license that would
allow everything and an aggregator URL configured."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ccp_assets.settings import load_settings
from ccp_assets.uploads.outbox import outbox_path
from ccp_assets.uploads.service import run_upload
from tests.helpers import CCP, materialize_all

from .conftest import NetworkGuard, license_env, setenv

DISCARD = "http://127.0.0.1:9"  # nothing may ever be sent there


def _cli(*args: str):  # noqa: ANN202
    from ccp_assets.cli import commands  # noqa: F401  (registers every sub-command)
    from ccp_assets.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_local_tier_opens_no_socket_during_a_whole_materialize_and_upload(claude_fixture, ccp_env, monkeypatch,
                                                                          operator):
    license_env(ccp_env, monkeypatch, operator, "local", url=DISCARD)  # entitled to full, asks for local
    with NetworkGuard():
        outcome = materialize_all()
        report = run_upload(load_settings())
        cli = _cli("upload")
    assert NetworkGuard.hits == []
    assert outcome is not None and outcome.success, outcome.failures
    up = outcome.materialized["upload_minimized"]["metadata"]
    assert up["queued_payloads"] == 0 and all(v.startswith("tier: CCP_PRIVACY_TIER=local") for v in up["withheld"].values())
    assert report.gate.tier == "local" and report.ok and not report.results
    days = len(list((ccp_env.ccp_home / "rollups").glob("2026-*/metrics_summary.json")))
    assert days >= 2 and "nothing is sent: the effective tier is local" in report.notes[0]
    assert f"{days} rollup day(s) stay on this machine" in report.notes[0]
    assert cli.exit_code == 0, cli.output
    assert "effective tier: local" in cli.output and "nothing leaves this machine" in cli.output
    assert f"{days} withheld" in cli.output and "minimized: tier: CCP_PRIVACY_TIER=local" in cli.output
    assert not outbox_path(load_settings()).exists()  # nothing was even queued
    assert not (ccp_env.ccp_home / "state" / "install_secret").exists()


def test_an_invalid_license_means_local_even_when_full_is_requested(claude_fixture, ccp_env, monkeypatch, operator):
    pack = license_env(ccp_env, monkeypatch, operator, "full", url=DISCARD)
    pack.write_text(pack.read_text().replace('"plan": "pro"', '"plan": "enterprise"'))  # forged: bad signature
    with NetworkGuard():
        materialize_all()
        report = run_upload(load_settings())
    assert NetworkGuard.hits == []
    assert report.gate.tier == "local" and "signature" in report.gate.tier_reason
    assert report.ok and not outbox_path(load_settings()).exists()


def test_the_local_upload_path_never_imports_an_http_client(claude_fixture, ccp_env, monkeypatch, operator):
    license_env(ccp_env, monkeypatch, operator, "local", url=DISCARD)
    code = ("import sys\nfrom ccp_assets.settings import load_settings\nfrom ccp_assets.uploads.service import "
            "run_upload\nr = run_upload(load_settings())\nassert r.gate.tier == 'local'\n"
            "assert 'httpx' not in sys.modules, 'httpx imported'\nprint('ok')")
    r = subprocess.run([sys.executable, "-c", code], env=ccp_env.env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_real_ccp_materialize_and_upload_make_no_inet_syscall(claude_fixture, ccp_env, monkeypatch, operator,
                                                              tmp_path: Path):
    license_env(ccp_env, monkeypatch, operator, "local", url=DISCARD)
    inet = []
    outputs = {}
    for args in (["materialize"], ["upload"]):
        trace = tmp_path / f"strace-{args[0]}.txt"
        r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace), str(CCP),
                            *args], env=ccp_env.env, cwd=ccp_env.env["HOME"], capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        outputs[args[0]] = r.stdout
        inet += [line for line in trace.read_text().splitlines() if "AF_INET" in line]
    assert inet == []
    assert "effective tier: local" in outputs["upload"] and "0 sent" in outputs["upload"]


def test_cli_upload_says_why_nothing_was_sent_without_a_license(ccp_env, monkeypatch):
    setenv(ccp_env, monkeypatch, CCP_PRIVACY_TIER="minimized", CCP_AGGREGATOR_URL=DISCARD)
    with NetworkGuard():
        r = _cli("upload")
    assert NetworkGuard.hits == []
    assert r.exit_code == 0, r.output
    assert "effective tier: local" in r.output and "no license pack" in r.output
