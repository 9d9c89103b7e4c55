"""Policy packs, the community-wide daily aggregate, and the OpenAPI request bodies of the uploads.

Policy packs are public signed documents (the client checks its own `policy_packs` entitlement and the
signature), so `GET /v1/policy` needs no license. Storing one is the operator's: `PUT /v1/policy` with the
operator bearer token, or `CCP_AGGREGATOR_POLICY` at start. Versions only go up (no rollback).

`GET /v1/aggregate/daily?since=YYYY-MM-DD&until=YYYY-MM-DD` needs any valid license (no particular
feature) or the operator token: totals across every uploader are not public, but every participant may
see them. Per day: uploads (summaries received), licenses (distinct uploaders), and sums of sessions,
turns, features_shipped, cost_usd and tokens/cost by model over the newest summary of each license.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ccp_assets.aggregator.auth import Denied, OperatorGate, Trust, authenticate, scope_of, throttle
from ccp_assets.aggregator.body import BodyError, read_body
from ccp_assets.aggregator.config import AggregatorConfig
from ccp_assets.aggregator.ratelimit import TokenBuckets
from ccp_assets.aggregator.storage import Storage, StoredPolicy
from ccp_assets.licensing import MAX_DOC_BYTES, LicenseError, clock, verify_policy
from ccp_assets.licensing.jsonstrict import read_capped

log = logging.getLogger("ccp_assets.aggregator")
MAX_INT64 = 2**63 - 1
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _verified(raw: bytes, trust: Trust, now: float) -> StoredPolicy:
    """A policy pack that verifies against the trusted keys, ready to store (LicenseError otherwise)."""
    policy = verify_policy(raw, now=now, keyring=trust.keyring)
    if policy.version > MAX_INT64 or not 0 <= policy.exp <= MAX_INT64:
        raise LicenseError("policy version or expiry is out of range")
    return StoredPolicy(policy.version, policy.kid, policy.exp, raw.decode("utf-8-sig"))


def install_policy_file(store: Storage, trust: Trust, path: Path, now: float) -> None:
    """Serve the pack in `path` (CCP_AGGREGATOR_POLICY). A bad pack stops the start; an old one is ignored."""
    try:
        policy = _verified(read_capped(path), trust, now)
    except (LicenseError, OSError) as e:
        raise ValueError(f"policy pack {path}: {e}") from None
    if store.put_policy(policy):
        log.info("serving policy v%s (kid %s) from %s", policy.version, policy.kid, path)
    else:
        log.info(
            "policy %s (v%s) is not newer than the one already stored; keeping that", path, policy.version
        )


def _day(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        if not DAY_RE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise Denied(400, f"{name} must be a date YYYY-MM-DD") from None


def ops_router(
    store: Storage,
    trust: Trust,
    config: AggregatorConfig,
    buckets: TokenBuckets,
    operator: OperatorGate,
    client: Callable[[Request], str],
) -> APIRouter:
    """Policy and aggregate routes bound to one store; license callers share the uploads' rate limit,
    operator tokens are checked (and wrong ones counted) by `operator`."""
    router = APIRouter()

    @router.get("/v1/policy", tags=["policy"])
    async def get_policy() -> Response:
        """The newest signed policy pack held, exactly as signed."""
        held = await run_in_threadpool(store.latest_policy)
        if held is None:
            return JSONResponse(
                {
                    "detail": "no policy pack on this aggregator (operator: set "
                    "CCP_AGGREGATOR_POLICY or PUT /v1/policy)"
                },
                status_code=404,
            )
        return Response(
            held.raw, media_type="application/json", headers={"ETag": f'"policy-v{held.version}"'}
        )

    @router.put(
        "/v1/policy",
        status_code=201,
        tags=["policy"],
        responses={
            "401": {"description": "operator token missing or wrong (counted per client)"},
            "403": {"description": "policy upload over HTTP is disabled"},
            "409": {"description": "not newer than the policy held"},
            "413": {"description": "larger than a policy pack can be"},
            "429": {"description": "too many wrong operator tokens from this client; see Retry-After"},
        },
    )
    async def put_policy(request: Request, authorization: Annotated[str | None, Header()] = None) -> Any:
        """Operator only: store a newer signed policy pack (409 when not newer than the one held)."""
        if config.operator_token is None:
            raise Denied(403, "policy upload over HTTP is disabled (no operator token configured)")
        if not operator.check(authorization, client(request)):
            raise Denied(401, "operator token missing or wrong")
        raw = await read_body(
            request,
            max_wire=MAX_DOC_BYTES,
            max_plain=MAX_DOC_BYTES,
            idle_timeout_s=config.body_idle_timeout_s,
            total_timeout_s=config.body_timeout_s,
        )
        try:
            policy = _verified(raw, trust, clock.now())
        except (LicenseError, UnicodeDecodeError) as e:
            raise BodyError(400, f"policy pack refused: {e}") from None
        if not await run_in_threadpool(store.put_policy, policy):
            held = await run_in_threadpool(store.latest_policy)
            newest = held.version if held else "?"
            return JSONResponse(
                {"detail": f"policy version {policy.version} is not newer than v{newest}"}, status_code=409
            )
        log.info("stored policy v%s (kid %s) from the operator endpoint", policy.version, policy.kid)
        return {"stored": True, "version": policy.version, "kid": policy.kid, "exp": policy.exp}

    @router.get(
        "/v1/aggregate/daily",
        tags=["aggregate"],
        responses={
            "401": {"description": "missing or bad license (and no operator token)"},
            "429": {"description": "rate limit, or too many wrong operator tokens; see Retry-After"},
        },
    )
    async def aggregate_daily(
        request: Request,
        since: str | None = None,
        until: str | None = None,
        x_ccp_license: Annotated[str | None, Header(alias="X-CCP-License")] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Any:
        """Community-wide totals per day (see the module docstring for who may ask and what is summed)."""
        if not operator.check(authorization, client(request)):
            throttle(buckets, scope_of(authenticate(x_ccp_license, trust, clock.now())))
        lo, hi = _day(since, "since"), _day(until, "until")
        if lo and hi and lo > hi:
            raise Denied(400, "since is after until")
        days = await run_in_threadpool(store.aggregate_daily, lo, hi)
        return {"since": lo, "until": hi, "days": days}

    return router


_REFUSALS = {
    "400": "malformed request (never retried)",
    "401": "missing, bad, expired or untrusted license",
    "403": "license not entitled to this upload, or its storage quota is used up",
    "408": "the body did not arrive in time",
    "409": "Idempotency-Key already used with another body or on the other upload endpoint",
    "413": "body too large (as sent or after gzip)",
    "429": "rate limit for this license; see Retry-After",
    "503": "storage unavailable; retry after Retry-After",
}
UPLOADS = ("/v1/metrics", "/v1/events")


def with_body_schemas(app: FastAPI, bodies: dict[tuple[str, str], type[BaseModel]]) -> None:
    """Publish the JSON request bodies the routes parse by hand (they stream, cap and gunzip), and the
    refusals every route can answer, so the OpenAPI document tells a client everything it may get."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        _, defs = models_json_schema(
            [(m, "validation") for m in bodies.values()], ref_template="#/components/schemas/{model}"
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
        for (path, method), model in bodies.items():
            if path not in schema["paths"]:
                continue
            ref = {"$ref": f"#/components/schemas/{model.__name__}"}
            schema["paths"][path][method]["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref}},
            }
        for path, ops in schema["paths"].items():
            for method, op in ops.items():
                responses = op["responses"]
                responses.pop("422", None)  # validation problems are answered 400
                codes = _REFUSALS if path in UPLOADS else {"400": _REFUSALS["400"]}
                for code, text in codes.items():
                    responses.setdefault(code, {"description": text})
                if (path, method) in bodies and path in UPLOADS:
                    responses.pop("200", None)
                    responses["202"] = {"description": "accepted (or the first answer to this key)"}
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
