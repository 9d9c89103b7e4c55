"""The one place licensing reads or waits on time, so tests can mock time and nothing else."""

from __future__ import annotations

import time


def now() -> float:
    """Epoch seconds; callers read it once per verification so every check sees the same instant."""
    return time.time()


def sleep(seconds: float) -> None:
    """Wait between device-code polls (tests replace it with a fake clock that advances instead)."""
    time.sleep(seconds)
