"""Local files: atomic writes so a crash or a bad download never leaves a half-written pack behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it (all-or-nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def state_file(settings: object, name: str) -> Path:
    """A file in `settings.state_dir` (license cache, policy cache, revocation list)."""
    return Path(settings.state_dir) / name  # type: ignore[attr-defined]
