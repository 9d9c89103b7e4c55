"""Fixtures of the source tests: writable copies of the real AgentOS files, and source env switches."""

from __future__ import annotations

import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, CcpEnv

AGENTOS_FIXTURE = FIXTURES / "agentos"
FIXTURE_MTIME = datetime(2025, 10, 20, 12, tzinfo=UTC).timestamp()
"""Captures without a time of their own land on their file's mtime: pinned so the day range stays small."""


@pytest.fixture
def agentos_dir(ccp_env: CcpEnv, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of fixtures/agentos, configured as CCP_AGENTOS_DATA_DIR."""
    dst = ccp_env.tmp / "agentos"
    shutil.copytree(AGENTOS_FIXTURE, dst)
    for p in [dst, *dst.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
        if p.is_file():
            os.utime(p, (FIXTURE_MTIME, FIXTURE_MTIME))
    monkeypatch.setenv("CCP_AGENTOS_DATA_DIR", str(dst))
    return dst


@pytest.fixture
def empty_agentos(ccp_env: CcpEnv, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = ccp_env.tmp / "agentos"
    d.mkdir()
    monkeypatch.setenv("CCP_AGENTOS_DATA_DIR", str(d))
    return d


@pytest.fixture
def usage_dir(ccp_env: CcpEnv, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = ccp_env.tmp / "ccp"
    d.mkdir()
    monkeypatch.setenv("CCP_USAGE_LOG_DIR", str(d))
    return d


@pytest.fixture
def repo_dir(ccp_env: CcpEnv, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.sources.gen import git

    d = ccp_env.tmp / "repo"
    d.mkdir()
    git(d, "init", "-q", "-b", "main")
    monkeypatch.setenv("CCP_REPO_DIR", str(d))
    return d
