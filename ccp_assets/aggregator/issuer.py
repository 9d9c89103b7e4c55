"""The license issuer's state and operations (the HTTP routes are in issuer_http.py, invites in invites.py).

    POST /v1/license/issue   {invite_code, email?, device?} -> {license_pack, plan, features, exp, kid}
    POST /v1/device/begin    {invite_code, device?} -> {user_code, poll_token, verification_url, interval,
                                                       expires_in}
    POST /v1/device/poll     {poll_token} -> {"status": "pending"} | {"status": "ok", "license_pack", ...}
                             404 unknown token, 410 expired code, 429 polled faster than `interval`
    GET  /v1/device/verify?user_code=   the page a user opens: shows the state of a code (HTML or JSON)
    POST /v1/device/approve  {user_code} with `Authorization: Bearer <operator token>`: grants a code

The invite code is the credential: a valid one gets a license directly (`issue`) or a device code that an
operator grants (`approve`, over HTTP or by calling `IssuerState.approve`). No license header is needed.

Abuse limits (issue 14), none of which can lock out everyone:
- guessing: after `max_failures` bad invite codes, tokens, user codes or operator tokens from one client
  within `failure_window_s`, that client gets 429 with Retry-After;
- spending: each client gets `client_burst` issues/logins at once, refilled at `client_rate_per_s`;
- device logins in flight: at most `max_pending_per_invite` per invite code (a flood of `device/begin` on
  one code fills only that code's slots; they free as the codes expire), and `max_pending` in all as a
  memory backstop. Expired codes never count (they used to, for 70 minutes, and 1,000 `begin` calls on
  one invite locked every device login out).
Uses of an invite are counted in `ledger` (the aggregator's database when mounted there: they survive a
restart).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ccp_assets.aggregator.invites import Invite, InviteLedger, MemoryInviteLedger, invite_id, parse_invites
from ccp_assets.aggregator.ratelimit import FailureLimiter, TokenBuckets
from ccp_assets.licensing import clock as licensing_clock
from ccp_assets.licensing.issuing import load_private_key, mint_with_key

__all__ = ["DeviceGrant", "Invite", "IssuerError", "IssuerState", "parse_invites"]
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels (no words), no 0/O or 1/I confusion
KEEP_EXPIRED_S = 3600  # expired codes are remembered this long so their polls say 410, not 404


class IssuerError(Exception):
    """An answer other than 200: HTTP status, one-line detail, optional Retry-After seconds."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after = status, detail, retry_after


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
    max_pending_per_invite: int = 20
    client_burst: int = 10
    client_rate_per_s: float = 0.1
    clock: Callable[[], float] = field(default=lambda: licensing_clock.now())
    ledger: InviteLedger = field(default_factory=MemoryInviteLedger)
    grants: dict[str, DeviceGrant] = field(default_factory=dict)  # by poll token
    issued: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=10_000))  # audit, newest
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.limiter = FailureLimiter(self.max_failures, self.failure_window_s, self.clock)
        self.spending = TokenBuckets(self.client_rate_per_s, self.client_burst, clock=self.clock)

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

    def _spend(self, client: str) -> None:
        wait = self.spending.take(client)
        if wait:
            raise IssuerError(429, "too many licenses or logins requested from this client; slow down", wait)

    # --- the operations -----------------------------------------------------------------------------
    def _invite(self, code: str, client: str) -> Invite:
        invite = self.invites.get(code)
        if invite is None:
            raise self.fail(client, 403, "invite code not recognized")
        if invite.expires is not None and self.clock() >= invite.expires:
            raise IssuerError(403, "invite code expired")
        if invite.max_uses is not None and self.ledger.invite_uses(invite_id(code)) >= invite.max_uses:
            raise IssuerError(403, "invite code already used up")
        return invite

    def _mint(self, code: str, invite: Invite, device: str | None) -> dict[str, Any]:
        """Count the use (atomically, in the ledger) and sign the license."""
        if not self.ledger.use_invite(invite_id(code), invite.max_uses):
            raise IssuerError(403, "invite code already used up")
        now = self.clock()
        pack = mint_with_key(
            self.key,
            self.kid,
            invite.plan,
            list(invite.features),
            invite.days,
            device=device,
            now=now,
            org=invite.org,
        )
        lic = pack["license"]
        self.issued.append({"license_id": lic["license_id"], "plan": lic["plan"], "iat": lic["iat"]})
        return pack

    def issue(self, invite_code: str, device: str | None, client: str = "local") -> dict[str, Any]:
        """Mint a license straight from an invite code."""
        with self._lock:
            self.check_client(client)
            invite = self._invite(invite_code, client)
            self._spend(client)
            return self._mint(invite_code, invite, device)

    def _new_user_code(self) -> str:
        taken = {g.user_code for g in self.grants.values()}
        while True:
            raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
            code = f"{raw[:4]}-{raw[4:]}"
            if code not in taken:
                return code

    def _purge(self, now: float) -> None:
        """Forget codes expired over an hour ago, and the oldest expired ones beyond a hard cap."""
        horizon = now - max(self.code_ttl_s, KEEP_EXPIRED_S)
        for token in [t for t, g in self.grants.items() if g.expires_at < horizon]:
            del self.grants[token]
        expired = sorted((g.expires_at, t) for t, g in self.grants.items() if g.expires_at <= now)
        for _, token in expired[: max(0, len(self.grants) - 4 * self.max_pending)]:
            del self.grants[token]

    def _room(self, invite_code: str, now: float) -> None:
        """429 when this invite (or, as a backstop, the issuer) has too many unexpired logins pending."""
        pending = [g for g in self.grants.values() if not g.approved and now < g.expires_at]
        mine = [g.expires_at for g in pending if g.invite_code == invite_code]
        if len(mine) >= self.max_pending_per_invite:
            wait = max(1, math.ceil(min(mine) - now))
            raise IssuerError(429, "too many logins in progress for this invite code; try again later", wait)
        if len(pending) >= self.max_pending:
            wait = max(1, math.ceil(min(g.expires_at for g in pending) - now))
            raise IssuerError(429, "too many logins in progress", wait)

    def begin(self, invite_code: str, device: str | None, client: str = "local") -> DeviceGrant:
        """Start a device-code login for a valid invite code."""
        with self._lock:
            self.check_client(client)
            self._invite(invite_code, client)
            now = self.clock()
            self._purge(now)
            self._room(invite_code, now)
            self._spend(client)
            grant = DeviceGrant(
                self._new_user_code(), secrets.token_urlsafe(32), invite_code, device, now + self.code_ttl_s
            )
            self.grants[grant.poll_token] = grant
            return grant

    def _by_user_code(self, user_code: str) -> DeviceGrant | None:
        want = normalize_user_code(user_code)
        return next((g for g in self.grants.values() if g.user_code == want), None)

    def _known_grant(self, user_code: str, client: str) -> DeviceGrant:
        """The grant of a user code (under the lock), or 404 counted as a failure against `client`."""
        self.check_client(client)
        grant = self._by_user_code(user_code)
        if grant is None:
            raise self.fail(client, 404, "unknown user code")
        return grant

    def approve(self, user_code: str, client: str = "local") -> DeviceGrant:
        """Grant a pending device code: the license is minted now and handed out on the next poll."""
        with self._lock:
            grant = self._known_grant(user_code, client)
            if self.clock() >= grant.expires_at:
                raise IssuerError(410, "user code expired")
            if not grant.approved:
                invite = self._invite(grant.invite_code, client)
                grant.pack = self._mint(grant.invite_code, invite, grant.device)
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
            grant = self._known_grant(user_code, client)
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


def __getattr__(name: str) -> Any:
    """`issuer_router` lives in issuer_http (which imports this module); kept importable from here."""
    if name == "issuer_router":
        from ccp_assets.aggregator.issuer_http import issuer_router

        return issuer_router
    raise AttributeError(name)
