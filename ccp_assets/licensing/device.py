"""Device binding: a license may name the one machine it is valid on.

    device_hash() = sha256(b"ccp-assets/device-binding/v1\\x00" + machine_id).hexdigest()

`machine_id` is the first non-empty of: /etc/machine-id, /var/lib/dbus/machine-id (both stable across
reboots on systemd/dbus systems), then the host name (a weaker fallback for containers and macOS). It is
stripped of whitespace and encoded as UTF-8. The fixed prefix salts the hash so the value a license
carries cannot be joined with other systems that publish the raw machine id (systemd itself recommends
never exposing it unhashed). The issuer only ever sees the hash.

    install_device_id(secret) = HMAC-SHA256(secret, b"ccp-assets/device-id/v1\x00" + machine_id)[:32 hex]

is the device id on every minimized summary (the aggregator's team view counts devices by it). Keyed
with the install's secret (privacy/hashing.py, never uploaded), so it is stable for one install, differs
between two installs even on one machine, cannot be joined with `device_hash` or any machine id, and a
copied home on another machine becomes another device.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
from pathlib import Path

DEVICE_SALT = b"ccp-assets/device-binding/v1\x00"
MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
DEVICE_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
DEVICE_ID_SALT = b"ccp-assets/device-id/v1\x00"


def machine_id(files: tuple[Path, ...] = MACHINE_ID_FILES) -> str:
    """The stable identifier of this machine (never sent anywhere as is)."""
    for path in files:
        try:
            value = path.read_text("utf-8", errors="replace").strip()
        except OSError:
            continue
        if value:
            return value
    return socket.gethostname().strip()


def device_hash(files: tuple[Path, ...] = MACHINE_ID_FILES) -> str:
    """The salted SHA-256 (hex) a license's `device` field must equal on this machine."""
    return hashlib.sha256(DEVICE_SALT + machine_id(files).encode("utf-8")).hexdigest()


def is_device_hash(value: str) -> bool:
    """True for a well-formed device hash (64 lowercase hex digits)."""
    return bool(DEVICE_HASH_RE.match(value))


def install_device_id(secret: bytes, files: tuple[Path, ...] = MACHINE_ID_FILES) -> str:
    """This install's private device id (32 lowercase hex; see the module docstring)."""
    if len(secret) < 16:
        raise ValueError("install secret too short for a device id (need >= 16 bytes)")
    message = DEVICE_ID_SALT + machine_id(files).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]
