"""Test helpers: real Ed25519 keys made with the operator's own `keygen`, a temporary CCP_HOME, a fake clock."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, sign_envelope
from ccp_assets.licensing.keyring import Keyring, load_keyring
from ccp_assets.settings import Settings, load_settings

NOW = 1_780_000_000.0  # 2026-05-28, fixed: every verification in these tests sees this instant
DEVICE = "ab" * 32  # the device hash these tests pretend to be
OTHER_DEVICE = "cd" * 32
KID = "test-signer-1"
# tests/fixtures/agentos/licenses: the AgentOS packs there carry fake signatures
PLACEHOLDERS = Path(__file__).resolve().parents[1] / "fixtures" / "agentos" / "licenses"


@dataclass
class Env:
    """A temporary CCP_HOME whose CCP_TRUSTED_KEYS trusts one fresh key."""

    tmp: Path
    settings: Settings
    key: Any
    kid: str
    keyring: Keyring
    keys_file: Path

    def env(self, **extra: str) -> dict[str, str | None]:
        """For CliRunner: this CCP_HOME and keyring; any other CCP_* of the outer shell unset."""
        out: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CCP_")}
        out.update({"CCP_HOME": str(self.settings.ccp_home), "CCP_TRUSTED_KEYS": str(self.keys_file)})
        out.update(extra)
        return out

    def license(self, **over: Any) -> dict[str, Any]:
        body = build_license(self.kid, "pro", ["telemetry_minimized", "telemetry_full"], 30, now=NOW - 3600)
        body["license_id"] = "lic-test-1"
        body.update(over)
        return {k: v for k, v in body.items() if v is not None}

    def pack(self, key: Any = None, **over: Any) -> dict[str, Any]:
        return sign_envelope("license", self.license(**over), key or self.key)

    def raw(self, key: Any = None, **over: Any) -> bytes:
        return json.dumps(self.pack(key, **over)).encode()


def make_env(tmp: Path, extra_env: dict[str, str] | None = None) -> Env:
    key_path, pub_path = keygen(KID, tmp / "operator")
    home = tmp / "home"
    settings = load_settings({"CCP_HOME": str(home), "CCP_TRUSTED_KEYS": str(pub_path), **(extra_env or {})})
    return Env(tmp, settings, load_private_key(key_path), KID, load_keyring(settings), pub_path)


class FakeClock:
    """The only thing mocked: time. `sleep` advances instead of waiting and can run a hook."""

    def __init__(self, start: float = NOW) -> None:
        self.t = start
        self.on_sleep: list[Any] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        for hook in list(self.on_sleep):
            hook(self)
