"""The uvicorn settings the aggregator is served with (`ccp aggregator serve`, the tests, bench/).

- `http="h11"` with `h11_max_incomplete_event_size`: the request line and headers must fit in
  `max_header_bytes` (uvicorn's default httptools parser accepted 32 MB of headers, issue 14);
- `proxy_headers=False`: uvicorn would otherwise rewrite the client address from X-Forwarded-For for any
  peer on 127.0.0.1; the app decides itself, from `trusted_proxies` (ratelimit.client_address);
- body deadlines are the app's (body.read_body), keep-alive idles out after 5 s.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from fastapi import FastAPI


def server_config(app: FastAPI, **kw: Any) -> uvicorn.Config:
    """A uvicorn.Config for `app` (made by create_app); keyword arguments (host, port, log_level) pass on."""
    config = app.state.config
    values: dict[str, Any] = {
        "http": "h11",
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
