"""Fixtures: a temporary CCP_HOME trusting one fresh key, and a fake clock (time is the only thing mocked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccp_assets.licensing import clock

from .lic_helpers import Env, FakeClock, make_env


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return make_env(tmp_path)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fc = FakeClock()
    monkeypatch.setattr(clock, "now", fc.now)
    monkeypatch.setattr(clock, "sleep", fc.sleep)
    return fc
