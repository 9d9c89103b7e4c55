"""Shared fixtures: a private CCP_HOME and DAGSTER_HOME per test, and copies of the real fixtures."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
CLAUDE_FIXTURE = FIXTURES / "claude-code"
MAIN_SESSION = "4d5611e5-241a-462a-8d15-5122611a9569"
pytest_plugins = ["tests.tiers", "tests.timing"]  # the slow/fast split and xdist order; CCP_TEST_PROFILE
TMPFS = Path("/dev/shm")
TMPFS_MIN_FREE = 4 << 30


def pytest_configure(config: pytest.Config) -> None:
    """Every tmp_path (so every test's CCP_HOME, DAGSTER_HOME, warehouse) on tmpfs when the machine has one.

    Dagster's SQLite storage syncs each event to disk: one `ccp materialize` of the Claude Code fixture made
    4,502 fsync/fdatasync calls that took 11 s of wall time on this machine's disk (strace -c -w, load 11) for
    12 s of CPU. A kill -9 (what the tests do) never loses written pages, only a power cut does, which no test
    simulates; the PostgreSQL test server runs with fsync=off for the same reason. Pytest's own numbered,
    per-session folders are kept (`pytest-of-<user>/pytest-N`, only the temp root moves); a set
    PYTEST_DEBUG_TEMPROOT or --basetemp wins, and under xdist the workers get the controller's."""
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return
    try:
        if os.access(TMPFS, os.W_OK) and shutil.disk_usage(TMPFS).free > TMPFS_MIN_FREE:
            os.environ["PYTEST_DEBUG_TEMPROOT"] = str(TMPFS)
    except OSError:
        pass


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
    # every source off: no CCP_ variable and no agent's own home (CODEX_HOME, ...) reaches the test, and HOME is
    # a fresh folder, so a developer's ~/.claude or ~/.codex never does either
    foreign = [k for k in os.environ if k.startswith("CCP_") or (k.endswith("_HOME") and k != "DAGSTER_HOME")]
    env = {k: v for k, v in os.environ.items() if k not in foreign}
    env.update({"CCP_HOME": str(tmp_path / "ccp_home"), "DAGSTER_HOME": str(dagster_home),
                "CLAUDE_CONFIG_DIR": str(claude), "CCP_TIMEZONE": "UTC", "HOME": str(tmp_path / "home")})
    (tmp_path / "home").mkdir()
    claude.mkdir()  # configured and present, but empty: the Claude Code source is off, not misconfigured
    for k in foreign:
        monkeypatch.delenv(k)
    for k, v in env.items():
        if k.startswith(("CCP_", "DAGSTER_HOME", "CLAUDE_CONFIG_DIR", "HOME")):
            monkeypatch.setenv(k, v)
    yield CcpEnv(tmp_path, tmp_path / "ccp_home", dagster_home, claude, env)


@pytest.fixture
def claude_fixture(ccp_env: CcpEnv) -> Path:
    """A writable copy of the real Claude Code fixture tree, configured as CLAUDE_CONFIG_DIR."""
    _copy_tree(CLAUDE_FIXTURE, ccp_env.claude)
    return ccp_env.claude


@dataclass
class MaterializedHome:
    """A CCP_HOME / DAGSTER_HOME after one in-process `ccp materialize` (local tier, UTC days)."""

    ccp_home: Path
    dagster_home: Path
    claude: Path
    outcome: Any

    def env(self) -> dict[str, str]:
        return {"CCP_HOME": str(self.ccp_home), "DAGSTER_HOME": str(self.dagster_home),
                "CLAUDE_CONFIG_DIR": str(self.claude), "CCP_TIMEZONE": "UTC"}

    def use(self, monkeypatch: pytest.MonkeyPatch) -> MaterializedHome:
        """Make it this test's CCP_HOME / DAGSTER_HOME (every other CCP_ variable unset)."""
        for k in [k for k in os.environ if k.startswith("CCP_")]:
            monkeypatch.delenv(k)
        for k, v in self.env().items():
            monkeypatch.setenv(k, v)
        return self


def materialize_into(root: Path, claude: Path, extra: dict[str, str] | None = None, start: str | None = None,
                     end: str | None = None) -> MaterializedHome:
    """`materialize_all(start, end)` with every source off but Claude Code at `claude`, into `root`; asserts
    success."""
    from tests.helpers import materialize_all

    dagster_home = root / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    home = MaterializedHome(root / "ccp_home", dagster_home, claude, None)
    mp = pytest.MonkeyPatch()
    try:
        for k in [k for k in os.environ if k.startswith("CCP_")]:
            mp.delenv(k)
        for k, v in {**home.env(), **(extra or {})}.items():
            mp.setenv(k, v)
        home.outcome = materialize_all(start, end)
        assert home.outcome is not None and home.outcome.success, home.outcome and home.outcome.failures
    finally:
        mp.undo()
    return home


@pytest.fixture(scope="session")
def claude_run(tmp_path_factory: pytest.TempPathFactory) -> MaterializedHome:
    """The real Claude Code fixture (2026-02-10..12) materialized once per test process and shared: by tests
    that only read it (`reads_claude_run`) and as the template tests/uploads copies (`use_home`). A graph
    run costs 8-15 s of CPU; the same run used to be repeated by each of those tests."""
    root = tmp_path_factory.mktemp("claude-run")
    shutil.copytree(CLAUDE_FIXTURE, root / "claude")
    return materialize_into(root, root / "claude")


@pytest.fixture
def reads_claude_run(claude_run: MaterializedHome, monkeypatch: pytest.MonkeyPatch) -> MaterializedHome:
    """This test's CCP_HOME / DAGSTER_HOME are the shared run's: for a test that only reads the warehouse
    (`tests.helpers.query`/`report` open it read-only)."""
    return claude_run.use(monkeypatch)


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
