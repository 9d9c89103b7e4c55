"""Shared fixtures: a private CCP_HOME and DAGSTER_HOME per test, and copies of the real fixtures."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CLAUDE_FIXTURE = FIXTURES / "claude-code"
MAIN_SESSION = "4d5611e5-241a-462a-8d15-5122611a9569"
pytest_plugins = ["tests.tiers"]  # the slow/fast split and the xdist order, at collection


def _copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dst


@dataclass
class CcpEnv:
    """Paths of one isolated installation; `env` is what a subprocess `ccp` should get."""

    tmp: Path
    ccp_home: Path
    dagster_home: Path
    claude: Path
    env: dict[str, str]

    def projects(self) -> Path:
        p = self.claude / "projects" / "p"
        p.mkdir(parents=True, exist_ok=True)
        return p


@pytest.fixture
def ccp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CcpEnv]:
    """Fresh CCP_HOME / DAGSTER_HOME (with the repo's dagster.yaml), every source off, UTC days."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    claude = tmp_path / "claude"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update({"CCP_HOME": str(tmp_path / "ccp_home"), "DAGSTER_HOME": str(dagster_home),
                "CLAUDE_CONFIG_DIR": str(claude), "CCP_TIMEZONE": "UTC", "HOME": str(tmp_path / "home")})
    (tmp_path / "home").mkdir()
    claude.mkdir()  # configured and present, but empty: the Claude Code source is off, not misconfigured
    for k in [k for k in os.environ if k.startswith("CCP_")]:
        monkeypatch.delenv(k)
    for k, v in env.items():
        if k.startswith(("CCP_", "DAGSTER_HOME", "CLAUDE_CONFIG_DIR")):
            monkeypatch.setenv(k, v)
    yield CcpEnv(tmp_path, tmp_path / "ccp_home", dagster_home, claude, env)


@pytest.fixture
def claude_fixture(ccp_env: CcpEnv) -> Path:
    """A writable copy of the real Claude Code fixture tree, configured as CLAUDE_CONFIG_DIR."""
    _copy_tree(CLAUDE_FIXTURE, ccp_env.claude)
    return ccp_env.claude


def load_oracle(name: str) -> dict:
    return json.loads((CLAUDE_FIXTURE / name).read_text())


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator:
    """One sync Playwright per test process, shared by every browser test: while one is open its event loop
    runs in this thread, so a second `sync_playwright()` fails ("Sync API inside the asyncio loop") — which
    is what happened when pytest-xdist put the /team page test and the Dagster UI tests on one worker."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
