"""License issuer endpoints (INTERFACES.md "Aggregator HTTP API", issuer lines), as a mountable router.

    POST /v1/license/issue   {invite_code, email?, device?} -> {license_pack, plan, features, exp, kid}
    POST /v1/device/begin    {invite_code, device?} -> {user_code, poll_token, verification_url, interval,
                                                       expires_in}
    POST /v1/device/poll     {poll_token} -> {"status": "pending"} | {"status": "ok", "license_pack", ...}
                             404 unknown token, 410 expired code, 429 polled faster than `interval`
    GET  /v1/device/verify?user_code=   the page a user opens: shows the state of a code (HTML or JSON)
    POST /v1/device/approve  {user_code} with `Authorization: Bearer <operator token>`: grants a code

The invite code is the credential: a valid one gets a license directly (`issue`) or a device code that an
operator grants (`approve`, over HTTP or by calling `IssuerState.approve`). Guessing is throttled: after
`max_failures` bad invite codes, tokens or user codes from one client within `failure_window_s`, every
request from it gets 429 with Retry-After. No license header is needed on these routes.

Invite file (JSON): {"invites": {"<code>": {"plan": "pro", "features": ["telemetry_full"], "days": 30,
"max_uses": null | N, "expires": null | "YYYY-MM-DD"}}}.
"""

from __future__ import annotations

import hmac
import html
import json
import math
import os
import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ccp_assets.licensing import clock as licensing_clock
from ccp_assets.licensing.device import DEVICE_HASH_RE
from ccp_assets.licensing.issuing import load_private_key, mint_with_key
from ccp_assets.licensing.pack import PLANS

MAX_BODY_BYTES = 4096
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels (no words), no 0/O or 1/I confusion


class IssuerError(Exception):
    """An answer other than 200: HTTP status, one-line detail, optional Retry-After seconds."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


@dataclass
class Invite:
    plan: str
    features: tuple[str, ...]
    days: float
    max_uses: int | None = None
    expires: float | None = None
    uses: int = 0


@dataclass
class DeviceGrant:
    """One device-code login in progress."""

    user_code: str
    poll_token: str
    invite_code: str
    device: str | None
    expires_at: float
    approved: bool = False
    pack: dict[str, Any] | None = None
    last_poll: float | None = None


class RateLimiter:
    """Sliding-window count of failures per key; blocked keys get the seconds until the window frees."""

    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float]) -> None:
        self.max_failures, self.window_s, self._clock = max_failures, window_s, clock
        self._fails: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        now = self._clock()
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, key: str) -> int:
        q = self._recent(key)
        if len(q) < self.max_failures:
            return 0
        return max(1, math.ceil(q[0] + self.window_s - self._clock()))

    def failure(self, key: str) -> None:
        self._recent(key).append(self._clock())


def parse_invites(doc: Any) -> dict[str, Invite]:
    """Invite codes from the invite file's JSON (see the module docstring)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("invites"), dict):
        raise ValueError('invite file must be {"invites": {"<code>": {"plan", "features", "days"}}}')
    out: dict[str, Invite] = {}
    for code, spec in doc["invites"].items():
        if not isinstance(spec, dict) or spec.get("plan") not in PLANS:
            raise ValueError(f"invite {code!r}: plan must be one of {', '.join(PLANS)}")
        feats = spec.get("features", [])
        if not isinstance(feats, list) or not all(isinstance(f, str) for f in feats):
            raise ValueError(f"invite {code!r}: features must be a list of strings")
        expires = spec.get("expires")
        exp_ts = None
        if expires is not None:
            d = date.fromisoformat(expires)
            exp_ts = datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()
        out[code] = Invite(
            spec["plan"], tuple(feats), float(spec.get("days", 30)), spec.get("max_uses"), exp_ts
        )
    return out


@dataclass
class IssuerState:
    """Everything the issuer knows: signing key, invite codes, device codes in flight, throttling."""

    key: Ed25519PrivateKey
    kid: str
    invites: dict[str, Invite]
    interval: int = 5
    code_ttl_s: int = 600
    verification_url: str | None = None
    operator_token: str | None = None
    max_failures: int = 5
    failure_window_s: float = 60.0
    max_pending: int = 1000
    clock: Callable[[], float] = field(default=lambda: licensing_clock.now())
    grants: dict[str, DeviceGrant] = field(default_factory=dict)  # by poll token
    issued: list[dict[str, Any]] = field(default_factory=list)  # audit: license_id, plan, when
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.max_failures, self.failure_window_s, self.clock)

    # --- construction from configuration ------------------------------------------------------------
    @classmethod
    def from_files(cls, key_file: Path, invites_file: Path, kid: str | None = None, **kw: Any) -> IssuerState:
        """Key written by `ccp license keygen` (kid defaults to its file name) and an invite file."""
        key_file, invites_file = Path(key_file), Path(invites_file)
        invites = parse_invites(json.loads(invites_file.read_text("utf-8")))
        return cls(load_private_key(key_file), kid or key_file.name.removesuffix(".key"), invites, **kw)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IssuerState | None:
        """CCP_ISSUER_KEY, CCP_ISSUER_INVITES, CCP_ISSUER_KID?, CCP_ISSUER_OPERATOR_TOKEN?; None if unset."""
        e = os.environ if env is None else env
        if not e.get("CCP_ISSUER_KEY") or not e.get("CCP_ISSUER_INVITES"):
            return None
        return cls.from_files(
            Path(e["CCP_ISSUER_KEY"]),
            Path(e["CCP_ISSUER_INVITES"]),
            kid=e.get("CCP_ISSUER_KID") or None,
            operator_token=e.get("CCP_ISSUER_OPERATOR_TOKEN") or None,
        )

    # --- throttling -----------------------------------------------------------------------------------
    def check_client(self, client: str) -> None:
        wait = self.limiter.retry_after(client)
        if wait:
            raise IssuerError(429, "too many bad codes from this client; try again later", wait)

    def fail(self, client: str, status: int, detail: str) -> IssuerError:
        """Count a bad code against `client` and build the error to raise."""
        self.limiter.failure(client)
        return IssuerError(status, detail)

    # --- the operations -----------------------------------------------------------------------------
    def _invite(self, code: str, client: str) -> Invite:
        invite = self.invites.get(code)
        if invite is None:
            raise self.fail(client, 403, "invite code not recognized")
        if invite.expires is not None and self.clock() >= invite.expires:
            raise IssuerError(403, "invite code expired")
        if invite.max_uses is not None and invite.uses >= invite.max_uses:
            raise IssuerError(403, "invite code already used up")
        return invite

    def _mint(self, invite: Invite, device: str | None) -> dict[str, Any]:
        now = self.clock()
        pack = mint_with_key(
            self.key, self.kid, invite.plan, list(invite.features), invite.days, device=device, now=now
        )
        invite.uses += 1
        lic = pack["license"]
        self.issued.append({"license_id": lic["license_id"], "plan": lic["plan"], "iat": lic["iat"]})
        return pack

    def issue(self, invite_code: str, device: str | None, client: str = "local") -> dict[str, Any]:
        """Mint a license straight from an invite code."""
        with self._lock:
            self.check_client(client)
            return self._mint(self._invite(invite_code, client), device)

    def _new_user_code(self) -> str:
        taken = {g.user_code for g in self.grants.values()}
        while True:
            raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
            code = f"{raw[:4]}-{raw[4:]}"
            if code not in taken:
                return code

    def _purge(self) -> None:
        horizon = self.clock() - max(self.code_ttl_s, 3600)  # keep expired codes a while so they say 410
        for token in [t for t, g in self.grants.items() if g.expires_at < horizon]:
            del self.grants[token]

    def begin(self, invite_code: str, device: str | None, client: str = "local") -> DeviceGrant:
        """Start a device-code login for a valid invite code."""
        with self._lock:
            self.check_client(client)
            self._invite(invite_code, client)
            self._purge()
            if sum(1 for g in self.grants.values() if not g.approved) >= self.max_pending:
                raise IssuerError(429, "too many logins in progress", self.interval)
            grant = DeviceGrant(
                self._new_user_code(),
                secrets.token_urlsafe(32),
                invite_code,
                device,
                self.clock() + self.code_ttl_s,
            )
            self.grants[grant.poll_token] = grant
            return grant

    def _by_user_code(self, user_code: str) -> DeviceGrant | None:
        want = normalize_user_code(user_code)
        return next((g for g in self.grants.values() if g.user_code == want), None)

    def approve(self, user_code: str, client: str = "local") -> DeviceGrant:
        """Grant a pending device code: the license is minted now and handed out on the next poll."""
        with self._lock:
            self.check_client(client)
            grant = self._by_user_code(user_code)
            if grant is None:
                raise self.fail(client, 404, "unknown user code")
            if self.clock() >= grant.expires_at:
                raise IssuerError(410, "user code expired")
            if not grant.approved:
                grant.pack = self._mint(self._invite(grant.invite_code, client), grant.device)
                grant.approved = True
            return grant

    def pending_user_codes(self) -> list[str]:
        """User codes waiting for approval (for an operator UI or a test)."""
        now = self.clock()
        with self._lock:
            return [g.user_code for g in self.grants.values() if not g.approved and now < g.expires_at]

    def status(self, user_code: str, client: str = "local") -> str:
        """pending | approved | expired (404 for an unknown code, counted as a failure)."""
        with self._lock:
            self.check_client(client)
            grant = self._by_user_code(user_code)
            if grant is None:
                raise self.fail(client, 404, "unknown user code")
            if self.clock() >= grant.expires_at:
                return "expired"
            return "approved" if grant.approved else "pending"

    def poll(self, poll_token: str, client: str = "local") -> dict[str, Any]:
        """What the client's poll gets: pending, ok with the pack, or an IssuerError (404/410/429)."""
        with self._lock:
            self.check_client(client)
            grant = self.grants.get(poll_token)
            if grant is None:
                raise self.fail(client, 404, "unknown poll token")
            now = self.clock()
            if now >= grant.expires_at:
                raise IssuerError(410, "device code expired; start again")
            if grant.last_poll is not None and now - grant.last_poll < self.interval / 2:
                grant.last_poll = now
                raise IssuerError(429, "polling too fast (slow down)", self.interval)
            grant.last_poll = now
            if not grant.approved or grant.pack is None:
                return {"status": "pending"}
            return {"status": "ok", **pack_answer(grant.pack)}


def normalize_user_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def pack_answer(pack: dict[str, Any]) -> dict[str, Any]:
    lic = pack["license"]
    return {
        "license_pack": json.dumps(pack),
        "plan": lic["plan"],
        "features": lic["features"],
        "exp": lic["exp"],
        "kid": lic["kid"],
    }


# --- HTTP ---------------------------------------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class IssueBody(_Body):
    invite_code: str = Field(min_length=1, max_length=128)
    email: str | None = Field(default=None, max_length=254)
    device: str | None = Field(default=None, pattern=DEVICE_HASH_RE.pattern)


class BeginBody(_Body):
    invite_code: str = Field(min_length=1, max_length=128)
    device: str | None = Field(default=None, pattern=DEVICE_HASH_RE.pattern)


class PollBody(_Body):
    poll_token: str = Field(min_length=1, max_length=128)


class ApproveBody(_Body):
    user_code: str = Field(min_length=1, max_length=32)


BodyT = TypeVar("BodyT", bound=BaseModel)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _body(request: Request, model: type[BodyT]) -> BodyT:
    """Parse the JSON body ourselves so every malformed request is a 400 (never retried), not a 422."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPException(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        return model.model_validate(json.loads(raw or b"null"))
    except (ValueError, ValidationError) as e:
        first = e.errors()[0] if isinstance(e, ValidationError) else None
        where = ".".join(str(p) for p in first["loc"]) if first and first["loc"] else "body"
        raise HTTPException(
            400, f"malformed request: {where}: {first['msg'] if first else 'not JSON'}"
        ) from None


def _answer(err: IssuerError) -> JSONResponse:
    headers = {"Retry-After": str(err.retry_after)} if err.retry_after else None
    return JSONResponse({"detail": err.detail}, status_code=err.status, headers=headers)


def _verify_page(code: str, status: str) -> str:
    words = {
        "pending": "is waiting for approval by your operator. Keep `ccp license login` running.",
        "approved": "is approved. `ccp license login` will install the license on its next poll.",
        "expired": "has expired. Run `ccp license login` again.",
    }
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>ccp device login</title></head><body>"
        f"<h1>ccp device login</h1><p>Code <code>{html.escape(code)}</code> {html.escape(words[status])}</p>"
        "</body></html>"
    )


_FORM = (
    "<!doctype html><html><head><meta charset='utf-8'><title>ccp device login</title></head><body>"
    "<h1>ccp device login</h1><form method='get'><label>Code shown by <code>ccp license login</code>: "
    "<input name='user_code' autofocus></label> <button>Check</button></form></body></html>"
)


def issuer_router(state: IssuerState) -> APIRouter:
    """The issuer routes bound to `state`; mount with `app.include_router(issuer_router(state))`."""
    router = APIRouter(tags=["issuer"])

    @router.post("/v1/license/issue")
    async def issue(request: Request) -> Any:
        body = await _body(request, IssueBody)
        try:
            return pack_answer(state.issue(body.invite_code, body.device, _client(request)))
        except IssuerError as e:
            return _answer(e)

    @router.post("/v1/device/begin")
    async def begin(request: Request) -> Any:
        body = await _body(request, BeginBody)
        try:
            grant = state.begin(body.invite_code, body.device, _client(request))
        except IssuerError as e:
            return _answer(e)
        base = state.verification_url or f"{str(request.base_url).rstrip('/')}/v1/device/verify"
        return {
            "user_code": grant.user_code,
            "poll_token": grant.poll_token,
            "verification_url": base,
            "verification_url_complete": f"{base}?user_code={grant.user_code}",
            "interval": state.interval,
            "expires_in": state.code_ttl_s,
        }

    @router.post("/v1/device/poll")
    async def poll(request: Request) -> Any:
        body = await _body(request, PollBody)
        try:
            return state.poll(body.poll_token, _client(request))
        except IssuerError as e:
            return _answer(e)

    @router.get("/v1/device/verify")
    async def verify(request: Request, user_code: str | None = None) -> Any:
        wants_json = "application/json" in request.headers.get("accept", "")
        if not user_code:
            return {"detail": "pass ?user_code=XXXX-XXXX"} if wants_json else HTMLResponse(_FORM)
        try:
            status = state.status(user_code[:32], _client(request))
        except IssuerError as e:
            return _answer(e)
        code = normalize_user_code(user_code[:32])
        return (
            {"user_code": code, "status": status} if wants_json else HTMLResponse(_verify_page(code, status))
        )

    @router.post("/v1/device/approve")
    async def approve(request: Request) -> Any:
        body = await _body(request, ApproveBody)
        client = _client(request)
        try:
            state.check_client(client)
            if state.operator_token is None:
                raise IssuerError(403, "approval over HTTP is disabled (no operator token configured)")
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), state.operator_token.encode()):
                raise state.fail(client, 401, "operator token missing or wrong")
            grant = state.approve(body.user_code, client)
        except IssuerError as e:
            return _answer(e)
        return {"user_code": grant.user_code, "status": "approved"}

    return router
