"""Codex test helpers: a CODEX_HOME of rollout lines, the package's pipeline over it, and the real ccusage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, CcpEnv

FIXTURE = FIXTURES / "codex"
CCUSAGE = Path(os.environ.get("CCUSAGE_BIN", REPO / ".tools/ccusage/node_modules/.bin/ccusage"))
needs_ccusage = pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage 20.0.24 is not installed (`make oracle`)")


def line(ts: str | int | None, typ: str, payload: dict, spaced: bool = False) -> str:
    obj = {"type": typ, "payload": payload} if ts is None else {"timestamp": ts, "type": typ, "payload": payload}
    return json.dumps(obj) if spaced else json.dumps(obj, separators=(",", ":"))


def ctx(ts: str, model: str) -> str:
    return line(ts, "turn_context", {"cwd": "/w", "model": model})


def meta(ts: str, sid: str) -> str:
    return line(ts, "session_meta", {"id": sid, "timestamp": ts, "cwd": "/w/app", "cli_version": "0.44.0"})


def tokens(i: int, c: int = 0, o: int = 0, r: int = 0, total: int | None = None) -> dict:
    return {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o, "reasoning_output_tokens": r,
            "total_tokens": i + o if total is None else total}


def usage(ts: str | None, last: dict | None = None, total: dict | None = None, rl: dict | None = None,
          spaced: bool = False) -> str:
    info = None if last is None and total is None else {
        **({"last_token_usage": last} if last else {}), **({"total_token_usage": total} if total else {})}
    return line(ts, "event_msg", {"type": "token_count", "info": info, **({"rate_limits": rl} if rl else {})},
                spaced=spaced)


@dataclass
class CodexHome:
    path: Path

    def write(self, rel: str, *lines: str) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(x + "\n" for x in lines))
        return p


@pytest.fixture
def codex_home(ccp_env: CcpEnv, monkeypatch: pytest.MonkeyPatch) -> CodexHome:
    """This test's CODEX_HOME (the Codex source reads it), created by the first rollout written."""
    monkeypatch.setenv("CODEX_HOME", str(ccp_env.tmp / "codex"))
    return CodexHome(ccp_env.tmp / "codex")


@pytest.fixture
def fixture_home(codex_home: CodexHome) -> CodexHome:
    """A writable copy of tests/fixtures/codex/home as CODEX_HOME."""
    shutil.copytree(FIXTURE / "home", codex_home.path, dirs_exist_ok=True)
    return codex_home


def run_pipeline(tz: str = "UTC") -> dict:
    """Land CODEX_HOME, normalize every landed day, return the ccusage-shaped daily report (the library path)."""
    from ccp_assets.settings import load_settings
    from ccp_assets.sources.codex.adapter import CodexSource
    from ccp_assets.sources.codex.normalize import normalize_days
    from ccp_assets.sources.codex.pricing import daily_report
    from ccp_assets.sources.landing import land, landed_days
    from ccp_assets.warehouse.resource import warehouse_for

    os.environ["CCP_TIMEZONE"] = tz  # restored by ccp_env's monkeypatch (it set CCP_TIMEZONE)
    settings = load_settings()
    with warehouse_for(settings.warehouse_path).connect() as conn:
        land(conn, CodexSource(), settings)
        normalize_days(conn, settings, landed_days(settings, "codex"))
        return daily_report(conn)


def run_ccusage(home: Path, tz: str = "UTC") -> dict:
    env = {**os.environ, "CODEX_HOME": str(home), "HOME": str(home)}
    out = subprocess.run([str(CCUSAGE), "codex", "daily", "--json", "--offline", "--timezone", tz], env=env,
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def by_day(report: dict) -> dict[str, dict[str, tuple[int, ...]]]:
    """{day: {model: (input, cache read, output, reasoning, total, isFallback)}} of a ccusage-shaped report."""
    return {d["date"]: {m: (v["inputTokens"], v["cacheReadTokens"], v["outputTokens"], v["reasoningOutputTokens"],
                            v["totalTokens"], v["isFallback"]) for m, v in d["models"].items()}
            for d in report["daily"]}
