"""The reference metrics aggregator (INTERFACES.md, "Aggregator HTTP API"): `create_app(config) -> FastAPI`.

    POST /v1/metrics          one minimized summary; license needs telemetry_minimized or telemetry_full
    POST /v1/events           {"events": [...]}, gzip allowed; license needs telemetry_full
    GET  /v1/policy           the newest signed policy pack held (404 when none)
    PUT  /v1/policy           operator (Authorization: Bearer <operator token>): store a newer signed pack
    GET  /v1/aggregate/daily  community-wide daily totals; any valid license (or the operator token)
    GET  /v1/team/{daily,weekly,monthly}, GET /team   the team view and dashboard; operator token
                              (team_routes.py)
    GET  /healthz             200 {"status": "ok"}, or 503 {"status": "unavailable", "reason"} when the
                              store cannot write or the disk is nearly full
    + the issuer routes of issuer.py when `config.issuer` is set

Uploads carry `X-CCP-License` (base64 of the pack JSON) and `Idempotency-Key`. Checks, in order, each
with one `now`: 401 missing/bad license, 403 not entitled, 400 no key, 429 rate limit (Retry-After),
413 body too large (before or after gzip) or 408 too slow, then for a key already accepted: its first
answer (`Idempotent-Replayed: true`) when the endpoint and the body (SHA-256 after gzip) match, else 409;
400 malformed JSON or wrong shape, 403 storage quota used up, then 202 `{"accepted", "id", "kind",
"stored"}`. FastAPI's 422 is answered as 400; no client input produces a 5xx. Env vars: see config.py.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ccp_assets.aggregator.auth import (
    Denied,
    OperatorGate,
    Trust,
    authenticate,
    require,
    safe_text,
    scope_of,
    throttle,
)
from ccp_assets.aggregator.auth import idempotency_key as check_key
from ccp_assets.aggregator.body import BodyError, parse_json, read_body
from ccp_assets.aggregator.config import AggregatorConfig
from ccp_assets.aggregator.issuer_http import BODIES as ISSUER_BODIES
from ccp_assets.aggregator.issuer_http import BODY_IDLE_TIMEOUT_S, BODY_TIMEOUT_S, issuer_router
from ccp_assets.aggregator.models import EventsBatch, MetricsSummary, first_error, metrics_row
from ccp_assets.aggregator.ops_routes import install_policy_file, ops_router, with_body_schemas
from ccp_assets.aggregator.quota import StoragePolicy
from ccp_assets.aggregator.ratelimit import FailureLimiter, TokenBuckets, client_address, parse_networks
from ccp_assets.aggregator.storage import Answer, Receipt, Storage, open_storage
from ccp_assets.aggregator.team_routes import team_router
from ccp_assets.licensing import License, clock
from ccp_assets.privacy.minimize import MinimizationError, assert_minimized

log = logging.getLogger("ccp_assets.aggregator")
LicenseHeader = Annotated[
    str | None, Header(alias="X-CCP-License", description="base64 of the license pack JSON")
]
KeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", description="one key per upload, reused on retry")
]
UPLOADS = {
    "metrics": (("telemetry_minimized", "telemetry_full"), "upload minimized metrics"),
    "events": (("telemetry_full",), "upload full events"),
}


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    """Every refusal is `{"detail": "<one line>"}`; validation is 400, never 422."""

    async def refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Denied | BodyError)
        wait = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(wait)} if wait else {}
        if getattr(exc, "www_authenticate", None):
            headers["WWW-Authenticate"] = exc.www_authenticate  # type: ignore[union-attr]
        return _error(exc.status, exc.detail, headers or None)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        return _error(400, f"malformed request: {where}: {first.get('msg', 'invalid')}")

    async def busy(_: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return _error(503, "storage temporarily unavailable; retry later", {"Retry-After": "5"})

    app.add_exception_handler(Denied, refused)
    app.add_exception_handler(BodyError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(sqlite3.OperationalError, busy)
    for error in getattr(app.state.store, "transient_errors", ()):  # PostgreSQL: connection lost, ...
        app.add_exception_handler(error, busy)


def _reply(answer: Answer) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _mismatch(prior: Answer, kind: str, fingerprint: str) -> Answer | None:
    """409 when an accepted key comes back on the other endpoint or with another body (Stripe answers a
    mismatched reuse with an error too); None when it is a true retry. Uploads stored before
    fingerprints were kept (fingerprint None) replay as before."""
    if prior.kind is not None and prior.kind != kind:
        detail = f"Idempotency-Key was already used for a {prior.kind} upload; use a new key for this one"
    elif prior.fingerprint is not None and prior.fingerprint != fingerprint:
        detail = "Idempotency-Key was already used with a different body; use a new key for new content"
    else:
        return None
    return Answer(409, {"detail": detail})


def _metrics(doc: Any) -> MetricsSummary:
    if not isinstance(doc, dict):
        raise BodyError(400, "expected a JSON object: one minimized metrics summary")
    try:
        summary = MetricsSummary.model_validate(doc)
        assert_minimized(doc)
    except ValidationError as e:
        raise BodyError(400, f"not a minimized metrics summary: {first_error(e)}") from None
    except MinimizationError as e:
        raise BodyError(400, f"not a minimized metrics summary: {e}") from None
    return summary


def _events(doc: Any, max_events: int) -> list[dict[str, Any]]:
    try:
        batch = EventsBatch.model_validate(doc)
    except ValidationError as e:
        raise BodyError(400, f'expected {{"events": [{{...}}, ...]}}: {first_error(e)}') from None
    if len(batch.events) > max_events:
        raise BodyError(413, f"too many events in one batch ({len(batch.events)} > {max_events}); split it")
    return batch.events


def _receipt(lic: License, scope: str, key: str, now: float, fingerprint: str) -> Receipt:
    license_id = safe_text(lic.license_id) if lic.license_id else None
    upload_id = "upl_" + secrets.token_hex(12)
    team = lic.org or scope  # a license without an org is its own team
    return Receipt(
        scope, key, safe_text(lic.kid), license_id, safe_text(lic.plan), now, upload_id, fingerprint, team
    )


def create_app(config: AggregatorConfig, *, storage: Storage | None = None) -> FastAPI:
    """An aggregator bound to `config` (and `storage`, default: SQLite at `config.db_path`)."""
    trust = Trust.load(
        config.trusted_keys, config.revocations_file, builtin=config.include_builtin_keys, now=clock.now()
    )
    store = storage if storage is not None else open_storage(config.database)
    if config.policy_file is not None:
        install_policy_file(store, trust, config.policy_file, clock.now())
    buckets = TokenBuckets(config.rate_per_s, config.rate_burst)
    proxies = parse_networks(config.trusted_proxies)
    limits = StoragePolicy(store, trust, config.quota_bytes)
    limits.purge(clock.now(), force=True)
    operator = OperatorGate(
        config.operator_token,
        FailureLimiter(config.operator_max_failures, config.operator_failure_window_s, clock.now),
    )

    def client(request: Request) -> str:
        peer = request.client.host if request.client else None
        return client_address(peer, request.headers.get("x-forwarded-for"), proxies)

    app = FastAPI(title="ccp metrics aggregator", version="1", description=__doc__)
    app.state.store, app.state.config, app.state.trust = store, config, trust
    app.state.limits = limits
    _install_error_handlers(app)

    def accept(kind: str, raw: bytes, lic: License, scope: str, key: str, now: float) -> Answer:
        """Replay, refuse or store (in a worker thread: hashing, parsing and storing a large body must not
        stall the event loop). The store re-checks the key inside its transaction, so a concurrent
        request with the same key is judged against whichever stored first."""
        fingerprint = "sha256:" + hashlib.sha256(raw).hexdigest()
        prior = store.find_answer(scope, key)
        if prior is not None:
            return _mismatch(prior, kind, fingerprint) or prior
        doc = parse_json(raw)
        receipt = _receipt(lic, scope, key, now, fingerprint)
        quota = limits.quota(now)
        if kind == "metrics":
            answer = store.store_metrics(receipt, metrics_row(_metrics(doc)), quota)
        else:
            answer = store.store_events(receipt, _events(doc, config.max_events), quota)
        if answer.replayed:
            return _mismatch(answer, kind, fingerprint) or answer
        limits.purge(now)
        return answer

    async def upload(request: Request, kind: str, license_header: str | None, key_header: str | None) -> Any:
        now = clock.now()
        lic = authenticate(license_header, trust, now)
        require(lic, *UPLOADS[kind])
        key, scope = check_key(key_header), scope_of(lic)
        throttle(buckets, scope)
        raw = await read_body(
            request,
            max_wire=config.max_body_bytes,
            max_plain=config.max_decompressed_bytes,
            idle_timeout_s=config.body_idle_timeout_s,
            total_timeout_s=config.body_timeout_s,
        )
        answer = await run_in_threadpool(accept, kind, raw, lic, scope, key, now)
        if answer.status == 202 and not answer.replayed:
            log.info(
                "accepted %s %s from %s (%s stored)", kind, answer.body["id"], scope, answer.body["stored"]
            )
        return _reply(answer)

    @app.post("/v1/metrics", status_code=202, tags=["uploads"])
    async def post_metrics(
        request: Request, x_ccp_license: LicenseHeader = None, idempotency_key: KeyHeader = None
    ) -> Any:
        """One minimized metrics summary (JSON, optionally gzip)."""
        return await upload(request, "metrics", x_ccp_license, idempotency_key)

    @app.post("/v1/events", status_code=202, tags=["uploads"])
    async def post_events(
        request: Request, x_ccp_license: LicenseHeader = None, idempotency_key: KeyHeader = None
    ) -> Any:
        """A batch of full-tier events, `{"events": [...]}` (JSON, optionally gzip)."""
        return await upload(request, "events", x_ccp_license, idempotency_key)

    @app.get(
        "/healthz",
        tags=["ops"],
        responses={"503": {"description": '{"status": "unavailable", "reason"}: storage cannot write'}},
    )
    async def healthz() -> Any:
        """200 when the store takes a write and the disk has room; else 503 with the reason."""
        try:
            reason = await run_in_threadpool(store.health, config.min_free_bytes)
        except Exception as e:  # whatever broke the store, the answer names it instead of a 500
            reason = f"storage check failed: {type(e).__name__}: {e}"
        if reason is None:
            return {"status": "ok"}
        log.error("healthz: %s", reason)
        return JSONResponse(
            {"status": "unavailable", "reason": reason[:300]}, status_code=503, headers={"Retry-After": "30"}
        )

    app.include_router(ops_router(store, trust, config, buckets, operator, client))
    app.include_router(team_router(store, config, operator, client))
    if config.issuer is not None:
        timeouts = (
            min(config.body_idle_timeout_s, BODY_IDLE_TIMEOUT_S),
            min(config.body_timeout_s, BODY_TIMEOUT_S),
        )
        app.include_router(issuer_router(config.issuer, ledger=store, client=client, body_timeouts=timeouts))
    bodies = {("/v1/metrics", "post"): MetricsSummary, ("/v1/events", "post"): EventsBatch, **ISSUER_BODIES}
    with_body_schemas(app, bodies)
    return app
