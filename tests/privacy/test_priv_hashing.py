"""Keyed hashes and the per-install secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccp_assets.privacy.hashing import (
    HASH_HEX_CHARS,
    InstallSecretError,
    install_secret,
    is_keyed_hash,
    keyed_hash,
    load_or_create_secret,
)
from ccp_assets.settings import Settings, load_settings

S1 = bytes(range(32))
S2 = bytes(range(1, 33))


@pytest.fixture
def settings_(tmp_path: Path) -> Settings:
    return load_settings({"CCP_HOME": str(tmp_path / "ccp_home")})


def test_keyed_hash_shape_and_construction() -> None:
    h = keyed_hash("code-reviewer", S1, "subagent")
    assert len(h) == HASH_HEX_CHARS == 32 and is_keyed_hash(h)
    expected = hmac.new(S1, b"ccp.keyed_hash.v1\x00subagent\x00code-reviewer", hashlib.sha256).hexdigest()[:32]
    assert h == expected


def test_keyed_hash_stable_and_separated() -> None:
    assert keyed_hash("repo", S1, "repo") == keyed_hash("repo", S1, "repo")
    assert keyed_hash("repo", S1, "repo") != keyed_hash("repo", S2, "repo")
    assert keyed_hash("repo", S1, "repo") != keyed_hash("repo", S1, "subagent")
    assert keyed_hash("", S1, "p") != keyed_hash(" ", S1, "p")


@pytest.mark.parametrize("purpose", ["", "a\x00b"])
def test_keyed_hash_rejects_bad_purpose(purpose: str) -> None:
    with pytest.raises(ValueError):
        keyed_hash("x", S1, purpose)


def test_keyed_hash_rejects_short_secret() -> None:
    with pytest.raises(ValueError):
        keyed_hash("x", b"short", "p")


@settings(max_examples=200, deadline=None, database=None)
@given(value=st.text(), p1=st.text(min_size=1).filter(lambda p: "\x00" not in p),
       p2=st.text(min_size=1).filter(lambda p: "\x00" not in p))
def test_keyed_hash_properties(value: str, p1: str, p2: str) -> None:
    h = keyed_hash(value, S1, p1)
    assert is_keyed_hash(h) and h == keyed_hash(value, S1, p1)
    assert h != keyed_hash(value, S2, p1)
    if p1 != p2:
        assert h != keyed_hash(value, S1, p2)


def test_is_keyed_hash() -> None:
    assert not is_keyed_hash("4d5611e5-241a-462a-8d15-5122611a9569")
    assert not is_keyed_hash("A" * 32)
    assert not is_keyed_hash(123)


def test_install_secret_created_0600_and_reused(settings_: Settings) -> None:
    path = settings_.state_dir / "install_secret"
    assert not path.exists()
    first = install_secret(settings_)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert install_secret(settings_) == first
    assert install_secret(load_settings({"CCP_HOME": str(settings_.ccp_home)})) == first
    assert [p.name for p in path.parent.iterdir()] == ["install_secret"]  # no temp files left


def test_install_secret_differs_per_install(tmp_path: Path) -> None:
    a = install_secret(load_settings({"CCP_HOME": str(tmp_path / "a")}))
    b = install_secret(load_settings({"CCP_HOME": str(tmp_path / "b")}))
    assert a != b


def test_install_secret_concurrent_first_use_agrees(tmp_path: Path) -> None:
    path = tmp_path / "state" / "install_secret"
    with ThreadPoolExecutor(16) as pool:
        secrets = set(pool.map(lambda _: load_or_create_secret(path), range(64)))
    assert len(secrets) == 1
    assert [p.name for p in path.parent.iterdir()] == ["install_secret"]


def test_install_secret_tightens_loose_mode(settings_: Settings) -> None:
    first = install_secret(settings_)
    path = settings_.state_dir / "install_secret"
    os.chmod(path, 0o644)
    assert install_secret(settings_) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_install_secret_refuses_corrupt_file(settings_: Settings) -> None:
    settings_.state_dir.mkdir(parents=True)
    (settings_.state_dir / "install_secret").write_bytes(b"short")
    with pytest.raises(InstallSecretError, match="delete it to rotate"):
        install_secret(settings_)
