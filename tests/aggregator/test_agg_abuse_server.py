"""Issue 14, against a real server process (`python -m ccp_assets.aggregator serve` on 127.0.0.1): every
resource is bounded before it is read. Memory is asserted by the server's own peak RSS (VmHWM, reset
through /proc/<pid>/clear_refs before each attack); every answer is a 4xx, never a 5xx or a dead server.

Before: a 300 MB chunked body to the issuer cost +305 MB of RSS, 32 MB of headers were accepted,
2,000 `[` were a 500, a stalled body held its connection for ever, /healthz said ok on a full disk.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Operator, env_for, headers, start, summary

MIB = 1 << 20
GROWTH_LIMIT = 24 * MIB  # the attacks below would cost 32 MB to 300 MB if anything were read whole


class Running:
    """A server process with the issuer mounted and short deadlines; `restart()` is kill -9 and start."""

    def __init__(self, env: dict[str, str], operator: Operator) -> None:
        self.env, self.operator = env, operator
        self.proc, self.url = start(env)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.proc, self.url = start(self.env)

    def __iter__(self) -> Iterator[Any]:  # pid, url, operator
        return iter((self.pid, self.url, self.operator))


@pytest.fixture
def server(operator: Operator, tmp_path: Path, db_url: str | None) -> Iterator[Running]:
    invites = tmp_path / "invites.json"
    invites.write_text(
        json.dumps(
            {
                "invites": {
                    "PRO": {"plan": "pro", "features": ["telemetry_full"]},
                    "ONCE": {"plan": "trial", "features": [], "max_uses": 1},
                }
            }
        )
    )
    env = env_for(operator, tmp_path / "agg.sqlite")
    if db_url is not None:  # the PostgreSQL store (conftest: every store)
        env["CCP_AGGREGATOR_DB"] = db_url
    env.update(
        {
            "CCP_ISSUER_KEY": str(operator.tmp / "operator" / f"{operator.kid}.key"),
            "CCP_ISSUER_INVITES": str(invites),
            "CCP_AGGREGATOR_BODY_IDLE_TIMEOUT_S": "1",
            "CCP_AGGREGATOR_BODY_TIMEOUT_S": "3",
            "CCP_AGGREGATOR_HEADER_TIMEOUT_S": "1",
        }
    )
    running = Running(env, operator)
    try:
        yield running
    finally:
        running.stop()


def test_rotating_x_forwarded_for_gets_no_fresh_guesses_from_the_cli_server(server: Running) -> None:
    """The served process (not only the app): uvicorn's own proxy-header rewriting is off too."""
    with httpx.Client(base_url=server.url, timeout=10) as c:
        answers = [
            c.post(
                "/v1/license/issue", json={"invite_code": f"g{i}"}, headers={"X-Forwarded-For": f"10.1.2.{i}"}
            )
            for i in range(7)
        ]
    assert [r.status_code for r in answers] == [403] * 5 + [429] * 2


def test_a_single_use_invite_stays_used_after_kill_9_and_restart(server: Running) -> None:
    assert httpx.post(f"{server.url}/v1/license/issue", json={"invite_code": "ONCE"}).status_code == 200
    server.restart()
    again = httpx.post(f"{server.url}/v1/license/issue", json={"invite_code": "ONCE"})
    assert again.status_code == 403 and "used up" in again.json()["detail"]
    assert httpx.post(f"{server.url}/v1/license/issue", json={"invite_code": "PRO"}).status_code == 200


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> int:
    """Reset the process's peak RSS to its current RSS (Linux: 5 > clear_refs); the RSS now."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return _status(pid, "VmRSS")


def peak_growth(pid: int, before: int) -> int:
    return _status(pid, "VmHWM") - before


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def raw_exchange(
    url: str, head: bytes, body: Iterator[bytes], wait_s: float = 30
) -> tuple[bytes, int, float]:
    """Send `head` then `body` on one socket while reading the answer in parallel (the server may answer
    and close long before we are done sending). (first line of the answer, bytes the socket took,
    seconds until the answer came)."""
    t0 = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", _port(url)), timeout=wait_s)
    sent = [0]

    def pump() -> None:
        try:
            sock.sendall(head)
            for chunk in body:
                sock.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:  # the server answered and closed: exactly what should happen
            pass

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    answer = b""
    try:
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    finally:
        took = time.monotonic() - t0
        sock.close()
        sender.join(wait_s)
    return answer.split(b"\r\n", 1)[0], sent[0], took


def chunked(total: int, size: int = MIB) -> Iterator[bytes]:
    piece = b"[" * size
    for _ in range(total // size):
        yield f"{size:x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def post_head(path: str, extra: dict[str, str], chunked_body: bool = True, length: int = 0) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines.append("Transfer-Encoding: chunked" if chunked_body else f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_chunked_300_mb_to_the_issuer_and_the_uploads_is_refused_at_the_cap(server) -> None:
    pid, url, operator = server
    with httpx.Client(base_url=url, timeout=10) as c:  # warm both paths up before measuring
        assert c.post("/v1/license/issue", json={"invite_code": "nope"}).status_code == 403
        assert (
            c.post(
                "/v1/events", headers=headers(operator.header(), "warm"), json={"events": [{}]}
            ).status_code
            == 202
        )
    for path, extra in (
        ("/v1/license/issue", {}),
        ("/v1/events", headers(operator.header(), "flood")),
    ):
        before = reset_peak(pid)
        line, sent, _ = raw_exchange(url, post_head(path, extra), chunked(300 * MIB))
        assert line.startswith(b"HTTP/1.1 413"), (path, line)
        growth = peak_growth(pid, before)
        assert growth < GROWTH_LIMIT, (
            f"{path}: peak RSS grew {growth / MIB:.1f} MiB for {sent / MIB:.0f} MiB sent"
        )
        assert sent < 300 * MIB  # the server stopped taking bytes long before the end
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_32_mb_of_headers_is_refused_without_reading_them_whole(server) -> None:
    pid, url, _ = server
    before = reset_peak(pid)
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "

    def pad() -> Iterator[bytes]:
        for _ in range(32):
            yield b"a" * MIB
        yield b"\r\n\r\n"

    line, _, _ = raw_exchange(url, head, pad())
    assert line.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), line
    assert peak_growth(pid, before) < GROWTH_LIMIT
    assert httpx.get(f"{url}/healthz").status_code == 200


@pytest.mark.parametrize(
    "path,body",
    [
        ("/v1/license/issue", b"[" * 2000),
        ("/v1/device/begin", b"[" * 2000 + b"]" * 2000),
        ("/v1/device/poll", b'{"poll_token": ' + b"{" * 1500),
        ("/v1/events", b'{"events": ' + b"[" * 5000),
        ("/v1/metrics", b"\xff\xfe"),
    ],
)
def test_malformed_bodies_are_400_never_500(server, path: str, body: bytes) -> None:
    _, url, operator = server
    extra = (
        headers(operator.header(), f"bad-{path}") if path.startswith(("/v1/events", "/v1/metrics")) else {}
    )
    r = httpx.post(f"{url}{path}", content=body, headers=extra, timeout=10)
    assert r.status_code == 400, (path, r.status_code, r.text)
    assert r.json()["detail"]


def test_a_stalled_or_dripping_body_gets_408_within_the_deadline(server) -> None:
    _, url, operator = server

    def stalled() -> Iterator[bytes]:
        yield b'{"events": ['
        time.sleep(5)  # idle deadline is 1 s
        yield b"]}"

    def drip() -> Iterator[bytes]:
        for _ in range(20):  # one byte every 0.5 s: under the idle deadline, over the 3 s total
            yield b" "
            time.sleep(0.5)

    for path, extra, body in (
        ("/v1/events", headers(operator.header(), "slow-1"), stalled()),
        ("/v1/license/issue", {}, stalled()),
        ("/v1/events", headers(operator.header(), "slow-2"), drip()),
    ):
        head = post_head(path, extra, chunked_body=False, length=1000)  # declared, never all sent
        line, _, took = raw_exchange(url, head, body)
        assert line.startswith(b"HTTP/1.1 408"), (path, line)
        assert took < 4.5, (path, took)


def test_a_request_head_that_never_completes_is_closed_at_the_header_deadline(server) -> None:
    """Slowloris on the head: uvicorn has no deadline there; the server's own (1 s here) closes it."""
    _, url, _ = server
    for opening in (b"", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "):
        sock = socket.create_connection(("127.0.0.1", _port(url)), timeout=10)
        try:
            t0 = time.monotonic()
            sock.sendall(opening)
            time.sleep(0.6)
            sock.sendall(b"a")  # a byte now and then does not reset the deadline
            closed = sock.recv(1024)
            took = time.monotonic() - t0
        finally:
            sock.close()
        assert closed == b"" and 0.9 < took < 3, (opening, closed, took)
    with httpx.Client(base_url=url, timeout=10) as c:  # a normal keep-alive client is unaffected
        for _ in range(3):
            assert c.get("/healthz").status_code == 200
            time.sleep(0.4)


def test_healthz_and_uploads_report_a_disk_that_cannot_be_written(operator: Operator, tmp_path: Path) -> None:
    """A file-size limit of 0 on the running server (prlimit): SQLite's writes fail like on a full disk.
    /healthz must say 503 with the reason (it said ok), uploads 503 with Retry-After (never 500), and both
    recover when the limit is lifted."""
    env = env_for(operator, tmp_path / "agg.sqlite")
    proc, url = start(env)  # the server itself ignores SIGXFSZ (its default action would kill it)
    try:
        lic = operator.header()
        with httpx.Client(base_url=url, timeout=10) as c:
            assert c.get("/healthz").json() == {"status": "ok"}
            assert c.post("/v1/metrics", headers=headers(lic, "before"), json=summary()).status_code == 202
            resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))  # soft limit
            h = c.get("/healthz")
            assert h.status_code == 503 and h.json()["status"] == "unavailable", h.text
            assert "cannot write" in h.json()["reason"]
            up = c.post("/v1/metrics", headers=headers(lic, "during"), json=summary("2026-02-15"))
            assert up.status_code == 503 and up.headers["Retry-After"], up.text
            resource.prlimit(
                proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
            )
            assert c.get("/healthz").status_code == 200
            again = c.post("/v1/metrics", headers=headers(lic, "during"), json=summary("2026-02-15"))
            assert again.status_code == 202 and "Idempotent-Replayed" not in again.headers, again.text
    finally:
        proc.kill()
        proc.wait(10)
    assert os.path.exists(tmp_path / "agg.sqlite")
