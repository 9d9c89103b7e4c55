"""Keyed hashing with a per-install secret that never leaves the machine: uploads can carry stable,
joinable ids (same subagent, same repo across days) that the aggregator cannot reverse by guessing
names, because it never has the key."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings imports privacy.tiers: a runtime import here would be circular
    from ..settings import Settings

SECRET_FILE = "install_secret"
SECRET_BYTES = 32
HASH_HEX_CHARS = 32  # 128 bits: collision-free at our scale, short enough for keys
_DOMAIN = b"ccp.keyed_hash.v1\x00"
_HASH_RE = re.compile(rf"^[0-9a-f]{{{HASH_HEX_CHARS}}}$")


class InstallSecretError(RuntimeError):
    """The install secret exists but is unusable; regenerating silently would change every hash."""


def install_secret(settings: Settings) -> bytes:
    """The install's secret from `settings.state_dir / "install_secret"`, created on first use."""
    return load_or_create_secret(settings.state_dir / SECRET_FILE)


def load_or_create_secret(path: Path) -> bytes:
    """Read the secret at `path`, or create it atomically (0600): written to a temp file in the same
    directory, then hard-linked into place, which fails if another process won the race (we then read
    theirs). Filesystems without hard links fall back to a rename guarded by an existence check."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(secrets.token_bytes(SECRET_BYTES))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:
            if not path.exists():
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise InstallSecretError(f"{path} is not a regular file")
    if mode & 0o077:  # someone loosened it: tighten rather than refuse, the secret itself is intact
        os.chmod(path, 0o600)
    data = path.read_bytes()
    if len(data) != SECRET_BYTES:
        raise InstallSecretError(
            f"{path} holds {len(data)} bytes, expected {SECRET_BYTES}; delete it to rotate the install secret"
        )
    return data


def keyed_hash(value: str, secret: bytes, purpose: str) -> str:
    """HMAC-SHA256 over a domain tag, the purpose and the value, as 32 lowercase hex characters. The purpose
    separates domains: a repo name hashed as "repo" and as "subagent" gives unrelated hashes."""
    if not purpose or "\x00" in purpose:
        raise ValueError("purpose must be a non-empty string without NUL")
    if len(secret) < 16:
        raise ValueError("secret too short for a keyed hash (need >= 16 bytes)")
    message = _DOMAIN + purpose.encode("utf-8") + b"\x00" + value.encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]


def is_keyed_hash(value: object) -> bool:
    """Whether `value` has the shape `keyed_hash` produces (used by the minimized allow-list)."""
    return isinstance(value, str) and _HASH_RE.fullmatch(value) is not None
