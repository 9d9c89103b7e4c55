"""The real `ccp` executable and the real Dagster webserver, as a user meets them."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import httpx
import pytest

from tests.conftest import load_oracle
from tests.helpers import REPO, ccp, token_rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_materialize_then_report_prints_only_json(claude_fixture, ccp_env):
    r = ccp(ccp_env.env, "materialize")
    assert "raw_claude_code" in r.stderr and "success" in r.stderr
    rep = ccp(ccp_env.env, "report", "daily", "--json", "--timezone", "UTC")
    assert token_rows(json.loads(rep.stdout)) == token_rows(load_oracle("ccusage-daily-utc.json"))
    since = json.loads(ccp(ccp_env.env, "report", "daily", "--json", "--since", "20260211").stdout)
    assert [d["period"] for d in since["daily"]] == ["2026-02-12"]
    table = ccp(ccp_env.env, "report", "daily")
    assert "2026-02-12" in table.stdout and "Total" in table.stdout
    summary = json.loads((ccp_env.ccp_home / "rollups" / "2026-02-12" / "metrics_summary.json").read_text())
    assert summary["turns"] == 152 and summary["tokens_by_model"]["claude-opus-4-6"]["output"] == 28763
    log = (ccp_env.ccp_home / "rollups" / "progress.log.md").read_text()
    assert log.count("## 2026-02-10") == 1 and log.index("## 2026-02-10") < log.index("## 2026-02-12")


def test_cli_rejects_a_bad_day_with_a_clear_message(ccp_env):
    r = ccp(ccp_env.env, "materialize", "--start", "yesterday", check=False)
    assert r.returncode != 0 and "is not a day" in r.stderr


@pytest.mark.slow
def test_dagster_ui_lists_assets_partitions_and_the_cli_materializations(claude_fixture, ccp_env):
    ccp(ccp_env.env, "materialize")
    port = _free_port()
    web = subprocess.Popen([str(REPO / ".venv/bin/dagster-webserver"), "-w", str(REPO / "workspace.yaml"),
                            "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, env=ccp_env.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/graphql"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "webserver did not start"
            time.sleep(0.5)
        q = """{ assetNodes { assetKey { path } groupName
                  partitionKeysByDimension { partitionKeys } } }"""
        nodes = httpx.post(url, json={"query": q}, timeout=60).json()["data"]["assetNodes"]
        by_key = {n["assetKey"]["path"][-1]: n for n in nodes}
        assert {"raw_claude_code", "normalized_claude_code", "usage_cost", "daily_summary"} <= set(by_key)
        assert "2026-02-12" in by_key["daily_summary"]["partitionKeysByDimension"][0]["partitionKeys"]
        q = """{ assetOrError(assetKey: {path: ["daily_summary"]}) { ... on Asset {
                  assetMaterializations(limit: 10) { partition runId } } } }"""
        mats = httpx.post(url, json={"query": q}, timeout=60).json()["data"]["assetOrError"]["assetMaterializations"]
        assert {"2026-02-10", "2026-02-12"} <= {m["partition"] for m in mats}
        q = """{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"""
        runs = httpx.post(url, json={"query": q}, timeout=60).json()["data"]["runsOrError"]["results"]
        assert any(r["status"] == "SUCCESS" and {"key": "ccp/launched_by", "value": "ccp materialize"} in r["tags"]
                   for r in runs)
    finally:
        web.terminate()
        web.wait(timeout=30)
