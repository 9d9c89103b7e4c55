"""The uvicorn settings the aggregator is served with (`ccp aggregator serve`, the tests, bench/).

- `http="h11"` with `h11_max_incomplete_event_size`: the request line and headers must fit in
  `max_header_bytes` (uvicorn's default httptools parser accepted 32 MB of headers, issue 14);
- `proxy_headers=False`: uvicorn would otherwise rewrite the client address from X-Forwarded-For for any
  peer on 127.0.0.1; the app decides itself, from `trusted_proxies` (ratelimit.client_address);
- `header_timeout_s`: a connection whose request line and headers have not all arrived this long after
  it opened (or after its previous response) is closed. uvicorn has no such deadline: a client sending a
  header byte now and then held a connection and its buffer for ever (slowloris). Body deadlines are the
  app's (body.read_body); an idle keep-alive connection is closed after 5 s.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeadDeadlineH11(H11Protocol):
    """uvicorn's h11 protocol plus a deadline on the request head (see the module docstring)."""

    head_timeout_s: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:  # a head started (or none yet) and is not complete
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expired(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closed a connection whose request head took over %s s", self.head_timeout_s)
            self.transport.close()


def server_config(app: FastAPI, **kw: Any) -> uvicorn.Config:
    """A uvicorn.Config for `app` (made by create_app); keyword arguments (host, port, log_level) pass on."""
    config = app.state.config
    protocol = type("H11WithHeadDeadline", (HeadDeadlineH11,), {"head_timeout_s": config.header_timeout_s})
    values: dict[str, Any] = {
        "http": protocol,
        "h11_max_incomplete_event_size": config.max_header_bytes,
        "proxy_headers": False,
        "server_header": False,
        "timeout_keep_alive": 5,
        "lifespan": "off",
        "log_config": None,
    }
    values.update(kw)
    return uvicorn.Config(app, **values)


def bound_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening-ready socket bound before the server starts (no race for a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def free_port() -> int:
    """A port nobody listens on now (for a server process started next)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(env: dict[str, str], wait_s: float = 30.0, **popen: Any) -> tuple[Any, str]:
    """`python -m ccp_assets.aggregator serve` on a free loopback port, returned once `/healthz` answers
    200: a real server process for the tests and bench/ (RuntimeError with its stderr if it dies first)."""
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ccp_assets.aggregator", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"aggregator exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"aggregator did not come up within {wait_s:g} s")

