"""Read an upload body safely: cap the bytes on the wire, gunzip as a stream with a cap on the output, and
parse JSON strictly. A gzip bomb is stopped after `max_plain` + 1 bytes of output, never inflated whole.
Chunked bodies are counted chunk by chunk as they arrive (nothing is read whole before the cap), and a
body that stalls (`idle_timeout_s` between chunks) or drips (`total_timeout_s` in all) is a 408: without
a deadline a client holding a half-sent body held a connection and its buffers for ever (issue 14).
"""

from __future__ import annotations

import asyncio
import zlib
from functools import partial
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ccp_assets.licensing.jsonstrict import loads_strict

GZIP_WBITS = 16 + zlib.MAX_WBITS
MAX_DEPTH = 32  # real summaries nest 4 deep, events a little more; deeper is an attack on the parser


class BodyError(Exception):
    """A refused body: HTTP status (400, 408 or 413) and a one-line reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class Gunzip:
    """Incremental gzip decoder (several concatenated members allowed) that refuses output beyond `limit`."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.parts: list[bytes] = []
        self._d = zlib.decompressobj(GZIP_WBITS)

    def feed(self, data: bytes) -> None:
        try:
            while data:
                if self._d.eof:  # the next gzip member starts here
                    self._d = zlib.decompressobj(GZIP_WBITS)
                out = self._d.decompress(data, self.limit - self.size + 1)
                self.size += len(out)
                if self.size > self.limit:
                    raise BodyError(413, f"body larger than {self.limit} bytes after decompression")
                self.parts.append(out)
                data = self._d.unused_data if self._d.eof else self._d.unconsumed_tail
        except zlib.error:
            raise BodyError(400, "body is not valid gzip (Content-Encoding: gzip)") from None

    def finish(self) -> bytes:
        if not self._d.eof:
            raise BodyError(400, "gzip body is truncated")
        return b"".join(self.parts)


async def read_body(
    request: Request,
    *,
    max_wire: int,
    max_plain: int,
    idle_timeout_s: float = 30.0,
    total_timeout_s: float = 120.0,
) -> bytes:
    """The (decompressed) body, or BodyError: 413 past either cap, 408 too slow, 400 for a bad encoding."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise BodyError(400, f"unsupported Content-Encoding {encoding[:32]!r} (use gzip or none)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_wire:
        raise BodyError(413, f"body larger than {max_wire} bytes")
    gunzip = Gunzip(max_plain) if encoding in ("gzip", "x-gzip") else None
    cap = max_wire if gunzip is not None else min(max_wire, max_plain)
    parts: list[bytes] = []
    received = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total_timeout_s
    chunks = request.stream().__aiter__()
    try:
        while True:
            try:
                async with asyncio.timeout(max(0.0, min(idle_timeout_s, deadline - loop.time()))):
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise BodyError(408, "the request body did not arrive in time") from None
            received += len(chunk)
            if received > cap:
                raise BodyError(413, f"body larger than {cap} bytes")
            if gunzip is not None:
                gunzip.feed(chunk)
            else:
                parts.append(chunk)
    except ClientDisconnect:
        raise BodyError(400, "client disconnected before the body was complete") from None
    return gunzip.finish() if gunzip is not None else b"".join(parts)


def parse_json(raw: bytes) -> Any:
    """Strict JSON (licensing.jsonstrict, the product's one strict parser): UTF-8, no NaN/Infinity, finite
    numbers, nesting at most MAX_DEPTH; BodyError(400) otherwise. Duplicate keys keep the last value, as
    they always did here (a summary's meaning does not hang on them the way a signed pack's does)."""
    return loads_strict(raw, max_bytes=None, max_int_digits=None, max_depth=MAX_DEPTH, unique_keys=False,
                        what="body", doc="JSON document", error=partial(BodyError, 400))
