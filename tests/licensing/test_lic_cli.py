"""`ccp license ...` end to end: CliRunner for the commands, a real uvicorn issuer on 127.0.0.1 for login."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import typer
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from typer.testing import CliRunner

from ccp_assets.aggregator.issuer import Invite, IssuerState, issuer_router
from ccp_assets.cli.license_cmd import license_app, register
from ccp_assets.licensing import device_hash, lkg_path

from .lic_helpers import NOW, PLACEHOLDERS, Env, FakeClock

runner = CliRunner()


def ccp(env: Env, *args: str, **extra: str):
    """Run `ccp license ...` through a root app that registers the sub-app, as commands.py will."""
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps `license` a sub-command rather than the whole app
        pass

    return runner.invoke(app, ["license", *args], env=env.env(**extra))


def test_verify_good_respaced_forged_and_placeholders(env: Env, fake_clock: FakeClock) -> None:
    good = env.tmp / "good.pack"
    good.write_bytes(env.raw())
    respaced = env.tmp / "respaced.pack"
    respaced.write_text(json.dumps(env.pack(), indent=2))
    forged_doc = env.pack()
    forged_doc["license"]["plan"] = "enterprise"
    forged = env.tmp / "forged.pack"
    forged.write_text(json.dumps(forged_doc))
    for path in (good, respaced):
        r = ccp(env, "verify", str(path))
        assert r.exit_code == 0, r.output
        assert r.output.startswith("valid: plan pro") and env.pack()["signature"] not in r.output
    r = ccp(env, "verify", str(forged))
    assert r.exit_code == 1 and r.output.strip().count("\n") == 0
    assert "invalid: signature mismatch" in r.output
    for name in ("full_pack.json", "minimized_pack.json"):
        copy = env.tmp / name
        shutil.copyfile(PLACEHOLDERS / name, copy)
        r = ccp(env, "verify", str(copy))
        assert r.exit_code == 1 and "unknown kid 'test-key'" in r.output
    r = ccp(env, "verify", str(env.tmp / "missing.pack"))
    assert r.exit_code == 1 and "cannot read" in r.output


def test_install_status_and_bad_install_keeps_last_known_good(env: Env, fake_clock: FakeClock) -> None:
    good = env.tmp / "good.pack"
    good.write_bytes(env.raw(features=["telemetry_minimized"]))
    r = ccp(env, "install", str(good), CCP_PRIVACY_TIER="full")
    assert r.exit_code == 0, r.output
    assert "installed: plan pro" in r.output and "effective tier: minimized" in r.output
    expired = env.tmp / "expired.pack"
    expired.write_bytes(env.raw(exp=int(NOW) - 10))
    r = ccp(env, "install", str(expired))
    assert r.exit_code == 1 and "refused: expired on" in r.output and "kept the installed license" in r.output
    assert env.settings.license_pack.read_bytes() == good.read_bytes()
    r = ccp(env, "status", CCP_PRIVACY_TIER="full")
    assert r.exit_code == 0, r.output
    out = r.output
    for want in (
        "Plan:       pro",
        "Features:   telemetry_minimized",
        "Expires:    2026-06-27",
        f"Kid:        {env.kid}",
        "Tier:       minimized (requested full, capped to minimized",
        f"Device:     {device_hash()}",
    ):
        assert want in out, out
    assert env.pack()["signature"] not in out and '"signature"' not in out


def test_status_without_license(env: Env, fake_clock: FakeClock) -> None:
    r = ccp(env, "status", CCP_PRIVACY_TIER="minimized")
    assert r.exit_code == 0
    assert "License:    none: no license pack at" in r.output and "Tier:       local" in r.output


def test_keygen_and_mint_round_trip(env: Env, fake_clock: FakeClock) -> None:
    out = env.tmp / "ops"
    r = ccp(env, "keygen", "--kid", "ops-1", "--out", str(out))
    assert r.exit_code == 0, r.output
    key = out / "ops-1.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert json.loads((out / "ops-1.pub.json").read_text())["keys"]["ops-1"]
    assert ccp(env, "keygen", "--kid", "ops-1", "--out", str(out)).exit_code == 1  # never clobbers a key
    assert ccp(env, "keygen", "--kid", "../evil", "--out", str(out)).exit_code == 1
    r = runner.invoke(
        license_app,
        [
            "mint",
            "--key",
            str(key),
            "--kid",
            "ops-1",
            "--plan",
            "pro",
            "--features",
            "telemetry_full, models_mixed",
            "--days",
            "10",
            "--license-id",
            "lic-42",
        ],
        env=env.env(CCP_TRUSTED_KEYS=str(out / "ops-1.pub.json")),
    )
    assert r.exit_code == 0, r.output
    pack = json.loads(r.stdout)
    assert (
        pack["license"]["features"] == ["telemetry_full", "models_mixed"]
        and pack["license"]["license_id"] == "lic-42"
    )
    minted = env.tmp / "minted.pack"
    r = runner.invoke(
        license_app,
        [
            "mint",
            "--key",
            str(key),
            "--plan",
            "trial",
            "--days",
            "1",
            "--device",
            device_hash(),
            "--out",
            str(minted),
        ],
        env=env.env(),
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        license_app, ["verify", str(minted)], env=env.env(CCP_TRUSTED_KEYS=str(out / "ops-1.pub.json"))
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        license_app, ["mint", "--key", str(key), "--plan", "gold", "--days", "1"], env=env.env()
    )
    assert r.exit_code == 1 and "plan must be one of" in r.output


def test_mint_out_into_a_missing_directory_or_a_file_is_one_line(env: Env, fake_clock: FakeClock) -> None:
    """Issue 14: `mint --out` into a missing directory printed a traceback. It now makes the directory;
    a path that cannot be a directory (under a file) is one line naming the path, exit 1."""
    out = env.tmp / "ops"
    assert ccp(env, "keygen", "--kid", "ops-2", "--out", str(out)).exit_code == 0
    mint = ["mint", "--key", str(out / "ops-2.key"), "--plan", "pro", "--days", "1", "--out"]
    deep = env.tmp / "not" / "yet" / "there.pack"
    r = runner.invoke(license_app, [*mint, str(deep)], env=env.env())
    assert r.exit_code == 0, r.output
    assert json.loads(deep.read_text())["license"]["plan"] == "pro"
    blocker = env.tmp / "a-file"
    blocker.write_text("x")
    r = runner.invoke(license_app, [*mint, str(blocker / "x.pack")], env=env.env())
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    assert "mint failed: cannot write" in r.output and str(blocker / "x.pack") in r.output
    assert r.output.strip().count("\n") == 0


# --- login against a real issuer on 127.0.0.1 ------------------------------------------------------------
@contextmanager
def serve(state: IssuerState) -> Iterator[str]:
    app = FastAPI()
    app.include_router(issuer_router(state))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "issuer did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def issuer_state(env: Env, *, key: Ed25519PrivateKey | None = None, ttl: int = 60) -> IssuerState:
    invites = {"PRO-2026": Invite("pro", ("telemetry_minimized", "telemetry_full"), 30)}
    return IssuerState(key or env.key, env.kid, invites, interval=5, code_ttl_s=ttl, operator_token="op")


@pytest.fixture
def lkg(env: Env, fake_clock: FakeClock) -> bytes:
    """A last-known-good license (community, minimized) that every failed login must leave in place."""
    good = env.tmp / "lkg.pack"
    good.write_bytes(env.raw(plan="community", features=["telemetry_minimized"], license_id="lic-lkg"))
    assert ccp(env, "install", str(good)).exit_code == 0
    return good.read_bytes()


def assert_kept(env: Env, lkg: bytes) -> None:
    assert env.settings.license_pack.read_bytes() == lkg
    assert lkg_path(env.settings).read_bytes() == lkg


def test_login_granted_code_installs_a_verified_pack(env: Env, lkg: bytes, fake_clock: FakeClock) -> None:
    state = issuer_state(env)
    with serve(state) as url:

        def approve_over_http(fc: FakeClock) -> None:
            if fc.t >= NOW + 10:  # the operator approves after two polls
                for code in state.pending_user_codes():
                    r = httpx.post(
                        f"{url}/v1/device/approve",
                        json={"user_code": code},
                        headers={"Authorization": "Bearer op"},
                    )
                    assert r.status_code == 200

        fake_clock.on_sleep.append(approve_over_http)
        r = ccp(env, "login", "--issuer", url, "--invite", "PRO-2026", CCP_PRIVACY_TIER="full")
    assert r.exit_code == 0, r.output
    assert "and confirm the code:" in r.output and "/v1/device/verify?user_code=" in r.output
    assert "installed: plan pro" in r.output and "effective tier: full" in r.output
    installed = json.loads(env.settings.license_pack.read_text())
    assert installed["license"]["device"] == device_hash() and installed["license"]["plan"] == "pro"
    assert lkg_path(env.settings).read_bytes() == env.settings.license_pack.read_bytes()
    assert fake_clock.t == NOW + 10  # polled every `interval` seconds; granted during the second wait


def test_login_direct_issue(env: Env, lkg: bytes, fake_clock: FakeClock) -> None:
    with serve(issuer_state(env)) as url:
        r = ccp(env, "login", "--issuer", url, "--invite", "PRO-2026", "--direct", "--no-bind-device")
    assert r.exit_code == 0, r.output
    assert "device" not in json.loads(env.settings.license_pack.read_text())["license"]


def test_login_expired_code_installs_nothing(env: Env, lkg: bytes, fake_clock: FakeClock) -> None:
    with serve(issuer_state(env, ttl=30)) as url:
        r = ccp(env, "login", "--issuer", url, "--invite", "PRO-2026")
    assert r.exit_code == 1
    assert (
        "the code expired before it was approved" in r.output
        and "kept the installed license (plan community" in r.output
    )
    assert_kept(env, lkg)


def test_login_unknown_code_installs_nothing(env: Env, lkg: bytes, fake_clock: FakeClock) -> None:
    state = issuer_state(env)
    with serve(state) as url:
        r = ccp(env, "login", "--issuer", url, "--invite", "WRONG")
        assert r.exit_code == 1 and "refused to start (403: invite code not recognized)" in r.output
        fake_clock.on_sleep.append(lambda fc: state.grants.clear())  # the issuer forgets the login
        r = ccp(env, "login", "--issuer", url, "--invite", "PRO-2026")
        assert r.exit_code == 1 and "answered 404 (unknown poll token)" in r.output
    assert_kept(env, lkg)


def test_login_pack_signed_by_untrusted_key_installs_nothing(
    env: Env, lkg: bytes, fake_clock: FakeClock
) -> None:
    state = issuer_state(env, key=Ed25519PrivateKey.generate())  # same kid, a key we do not trust
    with serve(state) as url:
        fake_clock.on_sleep.append(lambda fc: [state.approve(c) for c in state.pending_user_codes()])
        r = ccp(env, "login", "--issuer", url, "--invite", "PRO-2026")
        assert r.exit_code == 1 and "refused the issued pack: signature mismatch" in r.output
        assert_kept(env, lkg)
        state.kid = "rogue-kid"
        r = ccp(env, "login", "--issuer", url, "--invite", "PRO-2026", "--direct")
        assert r.exit_code == 1 and "unknown kid 'rogue-kid'" in r.output
    assert_kept(env, lkg)


def test_login_unreachable_issuer(env: Env, lkg: bytes, fake_clock: FakeClock) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    r = ccp(env, "login", "--issuer", f"http://127.0.0.1:{port}", "--invite", "X")
    assert r.exit_code == 1 and "cannot reach the issuer" in r.output
    assert_kept(env, lkg)
