"""Rate limits, in memory and per process on purpose (they protect this process; a fleet behind a load
balancer would move them to the shared database or the proxy in front):

- `TokenBuckets`: `burst` requests at once, refilled at `rate` per second (per license, per client);
- `FailureLimiter`: failures (bad invite codes, wrong operator tokens) per client in a sliding window;
- `client_address`: who the client is, trusting X-Forwarded-For only from configured proxies.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any


class _PerKey:
    """What both limiters share: per-client state under one lock, an injectable clock, and a cap on how many
    clients are remembered (past `max_keys`, clients whose state says nothing any more are forgotten)."""

    def __init__(self, clock: Callable[[], float], max_keys: int) -> None:
        self._clock, self.max_keys = clock, max_keys
        self._state: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _forget(self, now: float, spent: Callable[[Any, float], bool]) -> None:
        if len(self._state) > self.max_keys:
            for key in [k for k, v in self._state.items() if spent(v, now)]:
                del self._state[key]


class TokenBuckets(_PerKey):
    """`take(key)` is 0 when the request may go ahead, else the whole seconds to wait (for Retry-After)."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        super().__init__(clock, max_keys)
        self.rate, self.burst = rate, float(burst)

    def _tokens(self, bucket: tuple[float, float], now: float) -> float:
        tokens, at = bucket
        return min(self.burst, tokens + (now - at) * self.rate)

    def take(self, key: str) -> int:
        with self._lock:
            now = self._clock()
            tokens = self._tokens(self._state.get(key, (self.burst, now)), now)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                self._forget(now, lambda b, t: self._tokens(b, t) >= self.burst)  # full = like new
                return 0
            self._state[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))


class FailureLimiter(_PerKey):
    """Sliding-window count of failures (bad codes, wrong operator tokens) per client; a client with
    `max_failures` in the last `window_s` seconds is refused until the oldest one ages out."""

    def __init__(
        self, max_failures: int, window_s: float, clock: Callable[[], float], max_keys: int = 100_000
    ) -> None:
        super().__init__(clock, max_keys)
        self.max_failures, self.window_s = max_failures, window_s

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._state.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, key: str) -> int:
        """0 when `key` may go on, else the whole seconds until it may."""
        with self._lock:
            if key not in self._state:  # asking makes no entry: only failures cost memory
                return 0
            now = self._clock()
            q = self._recent(key, now)
            if len(q) < self.max_failures:
                return 0
            return max(1, math.ceil(q[0] + self.window_s - now))

    def failure(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._recent(key, now).append(now)
            self._forget(now, lambda q, t: not q or q[-1] <= t - self.window_s)  # all aged out


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def parse_networks(values: Iterable[str]) -> Networks:
    """Addresses or CIDR ranges ("10.0.0.0/8", "127.0.0.1"); ValueError names the bad one."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR range: {value.strip()!r}") from None
    return tuple(out)


def _in(address: str, networks: Networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Networks) -> str:
    """Who a request is from, for rate limits: the TCP peer, unless the peer is a configured proxy.

    Behind a trusted proxy the client is the right-most X-Forwarded-For entry that is not itself a
    trusted proxy (entries to its left were written by the client and prove nothing). With no trusted
    proxies (the default) X-Forwarded-For is ignored: issue 14 rotated it from 127.0.0.1 to get a fresh
    brute-force budget on every request.
    """
    host = peer or "unknown"
    if not trusted or not forwarded_for or not _in(host, trusted):
        return host
    hops = [h.strip() for h in forwarded_for.split(",")[-32:] if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop[:64]
    return host
