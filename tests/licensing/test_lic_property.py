"""Property: any mutation of a valid pack's bytes is either refused or verifies to the identical license."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccp_assets.licensing import LicenseError, verify_pack

from .lic_helpers import DEVICE, NOW, Env, make_env


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Env, list[bytes]]:
    env = make_env(Path(tmp_path_factory.mktemp("prop")))
    pack = env.pack(device=DEVICE)
    variants = [json.dumps(pack).encode(), json.dumps(pack, indent=2, sort_keys=True).encode()]
    return env, variants


mutation = st.tuples(
    st.sampled_from(["flip", "set", "insert", "delete", "truncate", "duplicate"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=255),
    st.integers(min_value=1, max_value=40),
)


def mutate(raw: bytes, ops: list[tuple[str, int, int, int]]) -> bytes:
    data = bytearray(raw)
    for op, pos, byte, length in ops:
        i = pos % (len(data) + 1)
        if op == "flip" and i < len(data):
            data[i] ^= 1 << (byte % 8)
        elif op == "set" and i < len(data):
            data[i] = byte
        elif op == "insert":
            data[i:i] = bytes([byte]) * (length % 3 + 1)
        elif op == "delete":
            del data[i : i + length]
        elif op == "truncate":
            del data[i:]
        elif op == "duplicate":
            data[i:i] = data[i : i + length]
    return bytes(data)


@settings(max_examples=400, deadline=None, database=None)
@given(variant=st.integers(0, 1), ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutations_never_yield_a_different_license(
    signed: tuple[Env, list[bytes]], variant: int, ops: list[tuple[str, int, int, int]]
) -> None:
    env, variants = signed
    original = verify_pack(variants[variant], now=NOW, keyring=env.keyring, device_hash=DEVICE)
    mutated = mutate(variants[variant], ops)
    try:
        got = verify_pack(mutated, now=NOW, keyring=env.keyring, device_hash=DEVICE)
    except LicenseError as e:
        assert e.reason and "\n" not in e.reason
        return
    assert got == original
    assert got.data == original.data


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_ever_raise_license_error(blob: bytes) -> None:
    from ccp_assets.licensing.keyring import Keyring

    with pytest.raises(LicenseError):
        verify_pack(blob, now=NOW, keyring=Keyring(), device_hash=DEVICE)
