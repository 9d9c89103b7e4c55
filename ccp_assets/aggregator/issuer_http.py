"""The issuer's HTTP routes (see issuer.py for what they do), as a mountable router.

Every body is read as a stream against a 4 KiB cap and a deadline (a chunked body used to be read whole
first: +305 MB of RSS for 300 MB sent), parsed with the aggregator's strict JSON reader (2,000 `[` used to
be a RecursionError and a 500), and validated; anything malformed is a 400, never a 422 or a 5xx. The
operations run in a worker thread: using an invite writes to the database.
"""

from __future__ import annotations

import functools
import hmac
import html
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ccp_assets.aggregator.body import BodyError, parse_json, read_body
from ccp_assets.aggregator.invites import InviteLedger
from ccp_assets.aggregator.issuer import IssuerError, IssuerState, normalize_user_code, pack_answer
from ccp_assets.aggregator.ratelimit import client_address
from ccp_assets.licensing.device import DEVICE_HASH_RE

MAX_BODY_BYTES = 4096
BODY_IDLE_TIMEOUT_S = 10.0  # a 4 KiB body arrives in one packet; waiting longer only holds a socket
BODY_TIMEOUT_S = 20.0


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


BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("/v1/license/issue", "post"): IssueBody,
    ("/v1/device/begin", "post"): BeginBody,
    ("/v1/device/poll", "post"): PollBody,
    ("/v1/device/approve", "post"): ApproveBody,
}
BodyT = TypeVar("BodyT", bound=BaseModel)


def peer(request: Request) -> str:
    """The default client identity: the TCP peer (X-Forwarded-For ignored)."""
    return client_address(request.client.host if request.client else None, None, ())


async def _read(request: Request, model: type[BodyT], timeouts: tuple[float, float]) -> BodyT:
    """Parse the JSON body ourselves so every malformed request is a 400 (never retried), not a 422."""
    try:
        raw = await read_body(
            request,
            max_wire=MAX_BODY_BYTES,
            max_plain=MAX_BODY_BYTES,
            idle_timeout_s=timeouts[0],
            total_timeout_s=timeouts[1],
        )
        doc = parse_json(raw) if raw.strip() else None
        return model.model_validate(doc)
    except BodyError as e:
        raise IssuerError(e.status, e.detail) from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise IssuerError(400, f"malformed request: {where}: {first['msg']}") from None


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
_JSON = {"application/json": {"schema": {"type": "object"}}}
_HTML = {"text/html": {"schema": {"type": "string"}}}
_THROTTLED = {"description": "too many requests from this client (or on this code); see Retry-After"}
_BAD_INVITE = {"description": "invite code not recognized, expired or used up"}
_UNKNOWN = {"description": "unknown code or token (counted: repeated failures get 429)"}
_EXPIRED = {"description": "the device code expired; start again"}
_REFUSED = {
    "400": {"description": "malformed request (never retried)"},
    "408": {"description": "the body did not arrive in time"},
    "413": {"description": "body larger than 4 KiB"},
    "429": _THROTTLED,
}


def _answers_refusals(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Turn an IssuerError raised by a route into its JSON answer (the router works on any app, without
    the aggregator's exception handlers)."""

    @functools.wraps(handler)
    async def route(*args: Any, **kw: Any) -> Any:
        try:
            return await handler(*args, **kw)
        except IssuerError as e:
            return _answer(e)

    return route


def issuer_router(
    state: IssuerState,
    *,
    ledger: InviteLedger | None = None,
    client: Callable[[Request], str] = peer,
    body_timeouts: tuple[float, float] = (BODY_IDLE_TIMEOUT_S, BODY_TIMEOUT_S),
) -> APIRouter:
    """The issuer routes bound to `state`; mount with `app.include_router(issuer_router(state))`.
    `ledger` (the aggregator's Storage) makes invite uses durable; `client` names the caller for limits;
    `body_timeouts` are (idle, total) seconds for reading a body."""
    if ledger is not None:
        state.ledger = ledger
    router = APIRouter(tags=["issuer"])

    async def _body(request: Request, model: type[BodyT]) -> BodyT:
        return await _read(request, model, body_timeouts)

    async def call(fn: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(fn, *args)

    @router.post("/v1/license/issue", responses={**_REFUSED, "403": _BAD_INVITE})
    @_answers_refusals
    async def issue(request: Request) -> Any:
        """Mint a license from an invite code."""
        body = await _body(request, IssueBody)
        return pack_answer(await call(state.issue, body.invite_code, body.device, client(request)))

    @router.post("/v1/device/begin", responses={**_REFUSED, "403": _BAD_INVITE})
    @_answers_refusals
    async def begin(request: Request) -> Any:
        """Start a device-code login."""
        body = await _body(request, BeginBody)
        grant = await call(state.begin, body.invite_code, body.device, client(request))
        base = state.verification_url or f"{str(request.base_url).rstrip('/')}/v1/device/verify"
        return {
            "user_code": grant.user_code,
            "poll_token": grant.poll_token,
            "verification_url": base,
            "verification_url_complete": f"{base}?user_code={grant.user_code}",
            "interval": state.interval,
            "expires_in": state.code_ttl_s,
        }

    @router.post("/v1/device/poll", responses={**_REFUSED, "404": _UNKNOWN, "410": _EXPIRED})
    @_answers_refusals
    async def poll(request: Request) -> Any:
        """Pending, or the license once approved."""
        body = await _body(request, PollBody)
        return await call(state.poll, body.poll_token, client(request))

    @router.get(
        "/v1/device/verify",
        response_class=HTMLResponse,
        responses={
            "200": {
                "description": "the code's state: HTML, or JSON with Accept: application/json",
                "content": {**_HTML, **_JSON},
            },
            "404": {**_UNKNOWN, "content": _JSON},
            "429": _THROTTLED,
        },
    )
    @_answers_refusals
    async def verify(request: Request, user_code: str | None = None) -> Any:
        """The page a user opens to check a code (a form without `user_code`)."""
        wants_json = "application/json" in request.headers.get("accept", "")
        if not user_code:
            return (
                JSONResponse({"detail": "pass ?user_code=XXXX-XXXX"}) if wants_json else HTMLResponse(_FORM)
            )
        status = await call(state.status, user_code[:32], client(request))
        code = normalize_user_code(user_code[:32])
        if wants_json:
            return JSONResponse({"user_code": code, "status": status})
        return HTMLResponse(_verify_page(code, status))

    @router.post(
        "/v1/device/approve",
        responses={
            **_REFUSED,
            "401": {"description": "operator token missing or wrong (counted: repeated failures get 429)"},
            "403": {"description": "approval over HTTP disabled, or the invite is used up"},
            "404": _UNKNOWN,
            "410": _EXPIRED,
        },
    )
    @_answers_refusals
    async def approve(request: Request) -> Any:
        """Operator: grant a pending device code."""
        who = client(request)
        state.check_client(who)
        if state.operator_token is None:
            raise IssuerError(403, "approval over HTTP is disabled (no operator token configured)")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode("utf-8", "replace"), state.operator_token.encode()):
            raise state.fail(who, 401, "operator token missing or wrong")
        body = await _body(request, ApproveBody)
        grant = await call(state.approve, body.user_code, who)
        return {"user_code": grant.user_code, "status": "approved"}

    return router
