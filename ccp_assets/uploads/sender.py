"""Drain the outbox: send each pending payload to the aggregator, exactly once from the server's view.

For every pending payload, in day order, right before sending:
1. the effective tier (license and CCP_PRIVACY_TIER) must still allow its tier, and an aggregator be set;
2. the day's latest blocking drift checks must have passed: read from the warehouse, read-only, now;
3. the client's last guard: `assert_minimized` (minimized) / `assert_redacted` (full) on the stored bytes.
Anything that fails 1-2 stays pending with its reason (withheld, not failed); failing 3 is rejected.

Sending (httpx, imported only here and only when something is about to be sent: the local tier never
creates a client): gzip body, `X-CCP-License` (base64 of the pack JSON), `Idempotency-Key` (the payload's
content-derived key). Retries, with `stamina`: only 429/502/503/504 and connection failures (connect,
read/write errors, timeouts, a dropped connection), exponential backoff with jitter, a `Retry-After`
header is honoured as the wait (up to MAX_RETRY_AFTER_S; longer: stop and keep the payload for later).
Never retried: 400/413/422 (rejected with the server's reason); 401/403/404/5xx stop the drain and keep
the payload pending. A kill at any point: the payload is still pending, the next drain sends it again
under the same key, and the aggregator answers with its first answer without storing anything twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from ccp_assets.privacy import MinimizationError, assert_minimized
from ccp_assets.privacy.redact import mask_text
from ccp_assets.settings import Settings
from ccp_assets.uploads.gate import Gate, WarehouseUnavailable, blocked_days_read_only, license_header
from ccp_assets.uploads.outbox import Outbox, Payload
from ccp_assets.uploads.payloads import RedactionGuardError, assert_redacted

RETRY_STATUSES = frozenset({429, 502, 503, 504})
REJECT_STATUSES = frozenset({400, 413, 422})
MAX_RETRY_AFTER_S = 120.0
ATTEMPTS = 8
RETRY_TIMEOUT_S = 300.0
WAIT_INITIAL_S = 0.5
WAIT_MAX_S = 30.0
WAIT_JITTER_S = 0.5
LOCK_WAIT_S = 300.0
USER_AGENT = "ccp-assets-uploader/1"


class RetryableAnswer(Exception):
    """The aggregator answered 429/502/503/504: worth another try (after Retry-After when given)."""

    def __init__(self, status: int, retry_after: float | None, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status, self.retry_after, self.detail = status, retry_after, detail


@dataclass
class SendResult:
    key: str
    day: str
    kind: str
    tier: str
    items: int
    outcome: str  # sent | rejected | failed | withheld | would send
    status: int | None = None
    detail: str = ""
    replayed: bool = False

    @classmethod
    def of(cls, p: Payload, outcome: str, status: int | None = None, detail: str = "",
           replayed: bool = False) -> SendResult:
        """Every result is built here: its detail (an aggregator's answer, an exception, a check summary)
        is masked once, so `ccp upload`, the sender job's log and its metadata never show a raw secret."""
        return cls(p.idem_key, p.day, p.kind, p.tier, p.items, outcome, status, mask_text(detail), replayed)

    def label(self) -> str:
        what = "summary" if self.kind == "metrics" else f"{self.items} events"
        return f"{self.day} {self.kind} ({self.tier}, {what})"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _retry_hook(exc: Exception) -> bool | float:
    """stamina backoff hook: retry 429/502/503/504 (Retry-After as the wait) and connection failures."""
    import httpx

    if isinstance(exc, RetryableAnswer):
        if exc.retry_after is None:
            return True
        return exc.retry_after if exc.retry_after <= MAX_RETRY_AFTER_S else False
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def _detail(resp: Any) -> str:
    try:
        doc = resp.json()
        if isinstance(doc, dict) and isinstance(doc.get("detail"), str):
            return doc["detail"][:300]
    except ValueError:
        pass
    return (resp.text or resp.reason_phrase or "")[:300]


@contextlib.contextmanager
def drain_lock(settings: Settings, wait_s: float = LOCK_WAIT_S) -> Iterator[bool]:
    """One drain at a time per CCP_HOME (the sensor's job and `ccp upload` may overlap); yields False when
    another drain kept the lock for `wait_s` (its payloads are in good hands: nothing to do here)."""
    path = Path(settings.ccp_home) / "outbox.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.2)
        try:
            yield True
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _screen(settings: Settings, gate: Gate, pending: list[Payload], box: Outbox, *,
            dry_run: bool = False) -> tuple[list[Payload], list[SendResult]]:
    """Split pending payloads into sendable ones and results for the others (withheld or rejected)."""
    results: list[SendResult] = []
    ok: list[Payload] = []
    for p in pending:
        why = gate.withheld_reason(p.tier)
        if why:
            results.append(SendResult.of(p, "withheld", detail=why))
        elif not gate.aggregator_url:
            results.append(SendResult.of(p, "withheld", detail="aggregator: CCP_AGGREGATOR_URL is unset"))
        else:
            ok.append(p)
    if not ok:
        return ok, results
    try:
        blocked = blocked_days_read_only(settings, sorted({p.day for p in ok}))
    except WarehouseUnavailable as e:
        results += [SendResult.of(p, "withheld", detail=f"warehouse: {e}; the day's drift checks cannot be "
                                                        "confirmed now, will retry") for p in ok]
        return [], results
    screened = []
    redactor, redactor_error = None, None
    if any(p.kind == "events" for p in ok):
        from ccp_assets.uploads.enqueue import redactor_for

        try:
            redactor = redactor_for(gate)
        except ValueError as e:  # a policy rule the redactor cannot use: fail closed for full payloads
            redactor_error = f"policy: its redaction rules cannot be applied ({str(e).splitlines()[0][:160]})"
    for p in ok:
        if p.day in blocked:
            results.append(SendResult.of(p, "withheld", detail="failed check: " + "; ".join(blocked[p.day])))
            continue
        if p.kind == "events" and redactor_error:
            results.append(SendResult.of(p, "withheld", detail=redactor_error))
            continue
        try:
            if p.kind == "metrics":
                assert_minimized(p.body)
            else:
                assert_redacted(p.body, redactor)
        except (MinimizationError, RedactionGuardError, ValueError) as e:
            reason = f"client guard: {e}"
            if not dry_run:
                box.mark_rejected(p.idem_key, None, reason)
            results.append(SendResult.of(p, "rejected", detail=reason))
            continue
        screened.append(p)
    return screened, results


def drain(settings: Settings, gate: Gate | None = None, *, dry_run: bool = False,
          on_result: Callable[[SendResult], None] | None = None) -> list[SendResult]:
    """Send what may be sent now; one SendResult per pending payload (see the module docstring)."""
    gate = gate or Gate.load(settings)
    box = Outbox.existing(settings)
    if box is None:
        return []
    with box:
        if dry_run:
            return _prepare(settings, gate, box, dry_run=True)[1]
        with drain_lock(settings) as locked:  # screen under the lock: the drift verdict is fresh when sending
            if not locked:
                return [SendResult.of(p, "withheld", detail="another upload is draining the outbox")
                        for p in box.pending()]
            (to_send, header), results = _prepare(settings, gate, box, dry_run=False)
            if to_send:
                results += _send_all(box, gate, header, to_send, on_result)
    return results


def _prepare(settings: Settings, gate: Gate, box: Outbox, *, dry_run: bool,
             ) -> tuple[tuple[list[Payload], str], list[SendResult]]:
    """((payloads to send, license header), results for the others); in a dry run, 'would send' results."""
    to_send, results = _screen(settings, gate, box.pending(), box, dry_run=dry_run)
    if not to_send:
        return ([], ""), results
    header = license_header(settings, gate.now)
    if header is None:
        return ([], ""), results + [SendResult.of(p, "withheld", detail="license: no valid license pack to send with")
                                    for p in to_send]
    if dry_run:
        return ([], ""), results + [SendResult.of(p, "would send") for p in to_send]
    return (to_send, header), results


def _send_all(box: Outbox, gate: Gate, header: str, payloads: list[Payload],
              on_result: Callable[[SendResult], None] | None) -> list[SendResult]:
    import httpx

    results: list[SendResult] = []
    assert gate.aggregator_url
    timeout = httpx.Timeout(60.0, connect=10.0)
    with httpx.Client(base_url=gate.aggregator_url.rstrip("/"), timeout=timeout,
                      headers={"X-CCP-License": header, "User-Agent": USER_AGENT}) as client:
        for i, p in enumerate(payloads):
            res, stop = send_one(client, box, p)
            results.append(res)
            if on_result is not None:
                on_result(res)
            if stop:
                rest = payloads[i + 1:]
                results += [SendResult.of(q, "failed", detail=f"not attempted: {res.detail}") for q in rest]
                break
    return results


def send_one(client: Any, box: Outbox, p: Payload) -> tuple[SendResult, bool]:
    """POST one payload with retries; record the outcome in the outbox. (result, stop the drain?)"""
    import httpx
    import stamina

    body = gzip.compress(p.body, mtime=0)
    headers = {"Idempotency-Key": p.idem_key, "Content-Encoding": "gzip", "Content-Type": "application/json"}
    try:
        for attempt in stamina.retry_context(on=_retry_hook, attempts=ATTEMPTS, timeout=RETRY_TIMEOUT_S,
                                             wait_initial=WAIT_INITIAL_S, wait_max=WAIT_MAX_S,
                                             wait_jitter=WAIT_JITTER_S):
            with attempt:
                box.note_attempt(p.idem_key)
                resp = client.post(p.endpoint, content=body, headers=headers)
                if resp.status_code in RETRY_STATUSES:
                    raise RetryableAnswer(resp.status_code, retry_after_seconds(resp.headers.get("Retry-After")),
                                          _detail(resp))
    except RetryableAnswer as e:
        waited = e.retry_after is None or e.retry_after <= MAX_RETRY_AFTER_S
        reason = f"HTTP {e.status} " + ("after retries" if waited else f"(Retry-After {e.retry_after:.0f} s)")
        reason += f": {e.detail}"
        box.mark_failed(p.idem_key, e.status, reason)
        return SendResult.of(p, "failed", e.status, reason), True
    except httpx.HTTPError as e:
        reason = f"aggregator unreachable: {type(e).__name__}: {str(e)[:200]}"
        box.mark_failed(p.idem_key, None, reason)
        return SendResult.of(p, "failed", None, reason), True
    status = resp.status_code
    if 200 <= status < 300:
        replayed = resp.headers.get("Idempotent-Replayed", "").lower() == "true"
        box.mark_sent(p.idem_key, status, resp.text)
        detail = _accepted(resp)
        return SendResult.of(p, "sent", status, detail, replayed), False
    detail = _detail(resp)
    if status in REJECT_STATUSES:
        box.mark_rejected(p.idem_key, status, f"HTTP {status}: {detail}", resp.text)
        return SendResult.of(p, "rejected", status, f"HTTP {status}: {detail}"), False
    box.mark_failed(p.idem_key, status, f"HTTP {status}: {detail}")
    return SendResult.of(p, "failed", status, f"HTTP {status}: {detail}"), True


def _accepted(resp: Any) -> str:
    try:
        doc = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}"
    if isinstance(doc, dict) and doc.get("id"):
        return f"HTTP {resp.status_code}, id {str(doc['id'])[:40]}, {doc.get('stored', '?')} stored"
    return f"HTTP {resp.status_code}"
