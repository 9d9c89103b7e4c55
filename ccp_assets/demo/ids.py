"""Fast, seeded id and timestamp helpers.

Generating gigabytes of logs means these run millions of times: they avoid `uuid`/`datetime`
objects and only touch `random.Random` and string formatting.
"""

from __future__ import annotations

import datetime as dt
import random

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_EPOCH = dt.date(1970, 1, 1)
_DAY_MS = 86_400_000


def rng_for(*parts: object) -> random.Random:
    """One independent stream per (seed, day, session, ...): the same item never depends on scale."""
    return random.Random(":".join(str(p) for p in parts))


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string from the seeded stream (uuid.UUID is 5x slower)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_B62_TABLE = bytes(ord(B62[i % 62]) for i in range(256))


def b62(rng: random.Random, n: int) -> str:
    """Random base-62 string, the alphabet Anthropic uses in msg_/req_/toolu_ ids (bytes.translate: fast)."""
    return rng.randbytes(n).translate(_B62_TABLE).decode("ascii")


def msg_id(rng: random.Random) -> str:
    return "msg_01" + b62(rng, 22)


def req_id(rng: random.Random) -> str:
    return "req_011C" + b62(rng, 20)


def toolu_id(rng: random.Random) -> str:
    return "toolu_01" + b62(rng, 22)


def permute(n: int, bits: int) -> int:
    """Bijective mix of an integer in [0, 2**bits): unique counters that look random.

    Used for short ids (proxy rid, subagent ids) whose random collision odds would matter at 4 GB.
    """
    mask = (1 << bits) - 1
    x = (n + 0x6A09E667F3BCC909) & mask
    for k in (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D):
        x = (x * (k | 1)) & mask
        x ^= x >> (bits // 2)
    return x


def unique_hex(n: int, bits: int) -> str:
    return f"{permute(n, bits):0{bits // 4}x}"


def day_start_ms(day: dt.date) -> int:
    return (day - _EPOCH).days * _DAY_MS


_DATE_CACHE: dict[int, str] = {}
_SECOND = [-1, ""]
"""Last second formatted: consecutive lines mostly fall in the same second."""


def iso_ms(ms: int) -> str:
    """Claude Code style timestamp: 2026-02-12T16:02:25.284Z."""
    sec, milli = divmod(ms, 1000)
    if sec != _SECOND[0]:
        day, rest = divmod(sec, 86_400)
        date = _DATE_CACHE.get(day)
        if date is None:
            date = _DATE_CACHE[day] = (_EPOCH + dt.timedelta(days=day)).isoformat()
        m, s = divmod(rest, 60)
        h, m = divmod(m, 60)
        _SECOND[0], _SECOND[1] = sec, f"{date}T{h:02d}:{m:02d}:{s:02d}."
    return f"{_SECOND[1]}{milli:03d}Z"


def iso_us(ms: int, micro: int = 0) -> str:
    """AgentOS style timestamp: 2025-10-19T09:30:00.343324+00:00."""
    t = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms, microseconds=micro % 1000)
    return t.isoformat(timespec="microseconds")
